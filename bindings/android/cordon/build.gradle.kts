// io.cordon: the Kotlin binding of Cordon as an Android library (AAR).
// Inputs written by ../build.sh: build/rust/jniLibs/<abi>/libcordon.so and
// build/rust/kotlin (the uniffi-generated io.cordon and io.cordon.core packages).
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "io.cordon"
    compileSdk = 35

    defaultConfig {
        minSdk = 24 // keep in step with MIN_SDK in ../build.sh
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets["main"].apply {
        java.srcDir(layout.buildDirectory.dir("rust/kotlin"))
        // The hand-written part shipped beside the generated code (the transport).
        java.srcDir("../../kotlin/src/main/kotlin")
        jniLibs.srcDir(layout.buildDirectory.dir("rust/jniLibs"))
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

dependencies {
    // JNA as an AAR: it carries libjnidispatch.so for every Android ABI. The generated
    // API exposes JNA types (RustBuffer is a JNA Structure), hence `api`.
    api("net.java.dev.jna:jna:5.18.1@aar")
    // suspend functions (CordonSync.syncOnce, enrol) and uniffi's Android cleaner.
    api("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    implementation("androidx.annotation:annotation:1.9.1")
}
