import BackgroundTasks
import CordonAppCore
import Network
import os
import SwiftUI

/// Opens the officer's session once and wires iOS's events to it: NWPathMonitor to
/// `SyncController.setOnline`, BGTaskScheduler to `SyncController.backgroundPass`, and the
/// core's log lines to os_log.
/// Nothing here decides anything; every screen's logic is in CordonAppCore.
@main
struct CordonDemoApp: App {
    /// The session, or why the store could not be opened (then the app shows only that).
    @State private var opening: SessionOpening
    @Environment(\.scenePhase) private var scenePhase
    private let connectivity: Connectivity?

    init() {
        // Before the session opens, so that no line the core logs is missed. Cordon's lines
        // are public: they hold ids, counts and outcomes, never an officer's records.
        CoreLog.install(debugBuild: Self.isDebugBuild) { line in
            Logger(subsystem: line.subsystem, category: line.category)
                .log(level: line.type.osLogType, "\(line.message, privacy: .public)")
        }
        // The store's key lives in the Keychain (this device only, after first unlock).
        let keys = StoreKeyVault(databasePath: Self.databaseURL().path, secrets: KeychainSecretStore())
        let opening = CordonSession.open(
            keys: keys,
            serverURL: Bundle.main.object(forInfoDictionaryKey: "CordonServerURL") as? String ?? "http://127.0.0.1:8080",
            transport: URLSessionTransport())
        _opening = State(initialValue: opening)
        // A lost key, a corrupt store or one from a newer app: the file is left as it is
        // (evidence) and the app only says so.
        if case let .ready(session) = opening {
            connectivity = Connectivity(sync: session.sync)
            BackgroundSync.register(sync: session.sync)
        } else {
            connectivity = nil
            BackgroundSync.register(sync: nil)
        }
    }

    var body: some Scene {
        WindowGroup {
            switch opening {
            case let .ready(session):
                ContentView(session: session)
                    .onAppear { connectivity?.start() }
            case let .unavailable(why):
                NoticeView(message: why.message)
            }
        }
        .onChange(of: scenePhase) { _, phase in
            guard phase == .background, case let .ready(session) = opening else { return }
            // A revoked phone has nothing left to sync.
            BackgroundSync.schedule(at: session.revocation == nil ? session.sync.status?.nextSyncAt : nil)
        }
    }

    #if DEBUG
    private static let isDebugBuild = true
    #else
    private static let isDebugBuild = false
    #endif

    /// Application Support/CordonStore/cordon.db (attachments beside it, in
    /// cordon.db.attachments), the directory left out of backups and protected until first
    /// unlock (`StoreLocation`); a store of the earlier layout is moved in first.
    private static func databaseURL() -> URL {
        let base = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        let location = StoreLocation.prepare(in: base, files: FoundationStoreFileSystem())
        for problem in location.problems {
            Logger(subsystem: "io.cordon.demo", category: "store").error("\(problem, privacy: .public)")
        }
        return location.databaseURL
    }
}

/// Tells the core when a usable network path appears or goes. The handler runs on every
/// path update; `SyncController.setOnline` acts only on a change from offline to online or back.
@MainActor
final class Connectivity {
    private let monitor = NWPathMonitor()
    private let sync: SyncController
    private var started = false

    init(sync: SyncController) {
        self.sync = sync
    }

    func start() {
        guard !started else { return }
        started = true
        monitor.pathUpdateHandler = { [sync] path in
            let online = path.status == .satisfied
            Task { @MainActor in sync.setOnline(online) }
        }
        monitor.start(queue: DispatchQueue(label: "io.cordon.demo.path"))
    }
}

/// The BGTaskScheduler side of sync: one app-refresh task, scheduled for when the engine
/// next wants a pass (the core decides; see `BackgroundPass`).
@MainActor
enum BackgroundSync {
    static let identifier = "io.cordon.demo.sync" // also in Info.plist (project.yml)

    /// iOS gives an app-refresh task about 30 s: the passes get less, so the task ends
    /// (and reports itself completed) before iOS has to expire it.
    static let budget: Duration = .seconds(25)

    /// `sync` nil: the store could not be opened; a task scheduled before still needs a
    /// handler (iOS ends an app that has none), which does nothing.
    static func register(sync: SyncController?) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            guard let sync else { return task.setTaskCompleted(success: true) }
            let work = Task { @MainActor in
                do {
                    let pass = try await sync.backgroundPass(budget: budget)
                    schedule(at: pass.nextSyncAt)
                    task.setTaskCompleted(success: !pass.shouldRetry)
                } catch {
                    task.setTaskCompleted(success: false)
                }
            }
            // iOS wants the time back now: stop the passes in the core (each stops at its
            // next safe point, everything unsent stays queued) and end the task, whose
            // awaiting call then returns at once with `.cancelled`.
            task.expirationHandler = {
                Task { @MainActor in sync.cancelPasses() }
                work.cancel()
            }
        }
    }

    /// Asks iOS for a task at `date` (iOS decides when, not before it); none if nil.
    static func schedule(at date: Date?) {
        BGTaskScheduler.shared.cancel(taskRequestWithIdentifier: identifier)
        guard let date else { return }
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = date
        try? BGTaskScheduler.shared.submit(request)
    }
}
