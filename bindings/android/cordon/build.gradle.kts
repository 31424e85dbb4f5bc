// io.cordon: the Kotlin binding of Cordon as an Android library (AAR).
// Inputs written by ../build.sh into rust/ beside this file (git-ignored, and outside
// build/ so that `clean` or Rebuild Project cannot delete them): rust/jniLibs/<abi>/libcordon.so
// and rust/kotlin (the uniffi-generated io.cordon and io.cordon.core packages).
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

val rust = file("rust")

android {
    namespace = "io.cordon"
    compileSdk = 35
    // Strips the native libraries in the AAR; the same NDK cargo-ndk links with (../build.sh).
    ndkVersion = "27.2.12479018"

    defaultConfig {
        // java.time (Instant in the generated API) without core library desugaring.
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets["main"].apply {
        java.srcDir(rust.resolve("kotlin"))
        // The hand-written part shipped beside the generated code (the transport).
        java.srcDir("../../kotlin/src/main/kotlin")
        jniLibs.srcDir(rust.resolve("jniLibs"))
    }

    buildTypes {
        release {
            isMinifyEnabled = false // the app's R8 run applies consumer-rules.pro
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    kotlinOptions {
        jvmTarget = "17"
    }
}

// Without the generated Kotlin, every io.cordon reference fails to compile far from the
// cause: say what to run instead.
val checkRustOutputs = tasks.register("checkRustOutputs") {
    val generated = rust.resolve("kotlin/io/cordon")
    val libraries = rust.resolve("jniLibs")
    doLast {
        check(generated.isDirectory && libraries.isDirectory) {
            "missing ${generated.parentFile} or $libraries: run bindings/android/build.sh first"
        }
    }
}
tasks.named("preBuild") { dependsOn(checkRustOutputs) }

dependencies {
    // JNA as an AAR: it carries libjnidispatch.so for every Android ABI. The generated
    // API exposes JNA types (RustBuffer is a JNA Structure), hence `api`.
    api("net.java.dev.jna:jna:5.18.1@aar")
    // suspend functions (CordonSync.syncOnce, enrol) and uniffi's Android cleaner.
    api("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    implementation("androidx.annotation:annotation:1.9.1")
}
