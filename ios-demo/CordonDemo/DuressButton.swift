import CordonAppCore
import SwiftUI

/// Hold to arm, then a countdown with a cancel button, then sent. The timing and the
/// sending are `DuressControl`'s; this only turns touches into press and release.
/// Main-actor isolated as a whole (not only `body`), so `label` may read the control's state.
@MainActor
struct DuressButton: View {
    let control: DuressControl

    var body: some View {
        switch control.state {
        case let .countingDown(_, secondsLeft):
            HStack {
                Text("Duress alarm in \(secondsLeft) s").foregroundStyle(.white)
                Spacer()
                Button("Cancel") { control.cancel() }.buttonStyle(.borderedProminent)
            }
            .padding()
            .background(.red)
        default:
            ZStack(alignment: .bottom) {
                Text(label).foregroundStyle(.white).frame(maxWidth: .infinity, minHeight: 64)
                if case let .holding(_, progress) = control.state {
                    ProgressView(value: progress)
                }
            }
            .background(Color(red: 0.36, green: 0, blue: 0.07))
            .contentShape(Rectangle())
            .onLongPressGesture(minimumDuration: .infinity, maximumDistance: 50, perform: {}) { pressing in
                if pressing { control.press() } else { control.release() }
            }
        }
    }

    private var label: String {
        switch control.state {
        case .holding: return "Keep holding…"
        case .sending: return "Sending…"
        // Covert: it reads as an ordinary check-in to anyone looking at the screen.
        case .sent: return "Checked in"
        case let .failed(message): return message
        case let .idle(note): return note ?? "Hold for duress"
        case .countingDown: return ""
        }
    }
}
