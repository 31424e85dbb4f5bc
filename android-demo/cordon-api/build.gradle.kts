// The generated Kotlin of the bindings, JVM flavour, as a compile-only API for :core-ui.
// Written by `scripts/bindings.sh build generate` (never committed). The Android flavour
// in :cordon differs only in how objects are cleaned up, not in its API; :app ships that.
plugins {
    `java-library`
    id("org.jetbrains.kotlin.jvm")
}

kotlin {
    jvmToolchain(17)
    sourceSets["main"].kotlin.srcDir("../../bindings/kotlin/target/generated-sources/uniffi")
    // The bindings' hand-written part (the HttpURLConnection transport).
    sourceSets["main"].kotlin.srcDir("../../bindings/kotlin/src/main/kotlin")
}

dependencies {
    api("net.java.dev.jna:jna:5.18.1")
    api("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.10.2")
}
