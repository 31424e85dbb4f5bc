// Plugin versions for every module (the bindings' :cordon module included): keep the
// Android Gradle Plugin and Kotlin in step with ../bindings/android/build.gradle.kts.
plugins {
    id("com.android.application") version "8.7.3" apply false
    id("com.android.library") version "8.7.3" apply false
    id("org.jetbrains.kotlin.android") version "2.1.21" apply false
    id("org.jetbrains.kotlin.jvm") version "2.1.21" apply false
    id("org.jetbrains.kotlin.plugin.compose") version "2.1.21" apply false
}
