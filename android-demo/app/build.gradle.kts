// :app: the Compose screens and the Android glue (WorkManager, ConnectivityManager). Every
// bit of logic behind the screens is in :core-ui; the binding comes from the bindings' AAR.
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

android {
    namespace = "io.cordon.demo.android"
    compileSdk = 35

    defaultConfig {
        applicationId = "io.cordon.demo"
        // java.time (Instant, in the generated API) without core library desugaring.
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // The ABIs bindings/android/build.sh builds libcordon.so for. Without the filter the
        // APK would also carry JNA's x86 and other libraries, and a 32-bit x86 emulator would
        // install an app that fails on its first call into Cordon.
        ndk {
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
        val serverUrl = providers.gradleProperty("cordon.serverUrl").getOrElse("http://10.0.2.2:8080")
        buildConfigField("String", "CORDON_SERVER_URL", "\"$serverUrl\"")
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    buildTypes {
        release {
            isMinifyEnabled = true // the AAR's consumer rules keep JNA and io.cordon.** intact
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"))
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
    implementation(project(":cordon"))
    implementation(project(":core-ui"))

    implementation(platform("androidx.compose:compose-bom:2024.12.01"))
    implementation("androidx.compose.material3:material3")
    implementation("androidx.compose.material:material-icons-core")
    implementation("androidx.compose.ui:ui")
    implementation("androidx.compose.ui:ui-tooling-preview")
    implementation("androidx.activity:activity-compose:1.9.3")
    implementation("androidx.lifecycle:lifecycle-runtime-compose:2.8.7")
    implementation("androidx.work:work-runtime-ktx:2.10.0")
    debugImplementation("androidx.compose.ui:ui-tooling")
}
