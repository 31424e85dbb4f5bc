// swift-tools-version:5.9
//
// Cordon for iOS apps: `import Cordon`. Made by bindings/ios/build.sh on a Mac (the
// XCFramework with libcordon.a for device and simulator plus the C headers, and the
// generated Swift); nothing under build/ is committed.
//
// The Swift of the core crate and of the FFI crate share the one `Cordon` module; their C
// declarations are the modules CordonFFI and CordonCoreFFI inside the XCFramework.
import PackageDescription

let package = Package(
    name: "Cordon",
    platforms: [.iOS(.v15)], // keep in step with IPHONEOS_DEPLOYMENT_TARGET in build.sh
    products: [.library(name: "Cordon", targets: ["Cordon"])],
    targets: [
        .binaryTarget(name: "CordonFFI", path: "build/CordonFFI.xcframework"),
        .target(
            name: "Cordon",
            dependencies: ["CordonFFI"],
            path: "build/Sources/Cordon",
            // getrandom (ids, TLS) may call SecRandomCopyBytes.
            linkerSettings: [.linkedFramework("Security")]
        ),
    ]
)
