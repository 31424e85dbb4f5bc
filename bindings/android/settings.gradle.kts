// The Android library module of Cordon's bindings; built by bindings/android/build.sh,
// which first puts the native libraries and the generated Kotlin under cordon/rust (outside
// build/, so that `clean` keeps them).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "cordon-android"
include(":cordon")
