// swift-tools-version:5.9
// Flame for Swift: the uniffi-generated `FlameKit` module over the `flame_ffi` Rust library.
//
// Sources/FlameKit/FlameKit.swift, Sources/FlameKitFFI/FlameKitFFI.h and
// Sources/FlameKitFFI/module.modulemap are generated from the built library by
// scripts/test-swift (or by hand: see README.md) and are not committed. On Linux the test run
// links against libflame_ffi.so found with `-Xlinker -L<dir>`; on Apple platforms use the
// XCFramework described in README.md instead of the `linkedLibrary` setting.
import PackageDescription

let package = Package(
    name: "FlameKit",
    products: [
        .library(name: "FlameKit", targets: ["FlameKit"]),
    ],
    targets: [
        // The C declarations of the FFI (header + module map, as generated).
        .systemLibrary(name: "FlameKitFFI", path: "Sources/FlameKitFFI"),
        .target(
            name: "FlameKit",
            dependencies: ["FlameKitFFI"],
            path: "Sources/FlameKit",
            linkerSettings: [.linkedLibrary("flame_ffi")]
        ),
        .testTarget(
            name: "FlameKitTests",
            dependencies: ["FlameKit"],
            path: "Tests/FlameKitTests"
        ),
    ]
)
