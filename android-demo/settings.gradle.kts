// The Android demo app of Cordon. Modules:
//   :app        Compose screens, WorkManager worker, connectivity callback: Android glue only
//   :core-ui    plain Kotlin/JVM: every screen's state and logic (also built by Maven here,
//               see core-ui/pom.xml and scripts/demo-apps.sh)
//   :cordon     the bindings' Android library (AAR: libcordon.so per ABI + generated Kotlin),
//               from ../bindings/android/cordon, filled by ../bindings/android/build.sh
//   :cordon-api the same generated Kotlin for the JVM, compile-only for :core-ui (a plain JVM
//               module cannot depend on an AAR); at run time :app supplies :cordon
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

plugins {
    // :core-ui and :cordon-api compile with a JDK 17 toolchain (jvmToolchain(17)); where
    // none is installed (Android Studio brings only its own JDK 21), Gradle downloads one.
    id("org.gradle.toolchains.foojay-resolver-convention") version "0.9.0"
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "cordon-android-demo"
include(":app", ":core-ui", ":cordon-api", ":cordon")
project(":cordon").projectDir = file("../bindings/android/cordon")
