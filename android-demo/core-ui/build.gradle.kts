// :core-ui, plain Kotlin/JVM: the app's logic with no Android dependency. Maven builds and
// tests the same sources here (pom.xml beside this file, scripts/demo-apps.sh); this is
// the Gradle build the app uses. `./gradlew :core-ui:test` runs the same JUnit 5 tests on
// a workstation (needs scripts/bindings.sh build generate first).
plugins {
    `java-library`
    id("org.jetbrains.kotlin.jvm")
}

val bindings = rootProject.file("../bindings")
val cargoDebug = rootProject.file("../target/debug")

kotlin {
    jvmToolchain(17)
    sourceSets["test"].kotlin.apply {
        // The bindings' reference-server harness and shift fixtures, shared rather than copied.
        srcDir(bindings.resolve("kotlin/src/test/kotlin"))
        include("io/cordon/demo/**", "io/cordon/ReferenceServer.kt", "io/cordon/Fixtures.kt", "io/cordon/RecordingTransport.kt")
    }
}

dependencies {
    // The binding's API; at run time the app's :cordon AAR provides it.
    compileOnly(project(":cordon-api"))
    api("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.10.2") // StateFlow and suspend in the API

    testImplementation(project(":cordon-api"))
    testImplementation(platform("org.junit:junit-bom:5.14.4"))
    testImplementation("org.junit.jupiter:junit-jupiter")
    testImplementation("org.jetbrains.kotlin:kotlin-test-junit5")
    testImplementation("org.jetbrains.kotlinx:kotlinx-serialization-json:1.8.1") // reads fixtures/*.json
    testRuntimeOnly("org.junit.platform:junit-platform-launcher")
}

tasks.test {
    useJUnitPlatform()
    systemProperty("jna.library.path", cargoDebug.path)
    systemProperty("cordon.server.bin", cargoDebug.resolve("cordon").path)
    systemProperty("cordon.fixtures.dir", rootProject.file("../fixtures").path) // fixtures/README.md
}
