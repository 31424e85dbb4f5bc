#!/usr/bin/env python3
"""Static checks of the phone builds, which cannot run on this machine (no Android SDK,
NDK or Gradle, no Xcode): the Gradle files, build scripts, XcodeGen spec, Swift packages
and READMEs are read and checked against `phone-versions.properties`, where every
toolchain version and SDK level is stated once.

What is checked (each a line of the report):
  - every version in phone-versions.properties is there, and the pairs fit: AGP's minimum
    Gradle and Android Studio, minSdk >= 26 (java.time in the generated API), Xcode >= 16, swift-tools-version
    no newer than that Xcode's Swift
  - Gradle: android.useAndroidX=true in every Gradle build that uses AndroidX; the wrapper's
    Gradle; the AGP and Kotlin plugin versions; compileSdk, minSdk, targetSdk, ndkVersion;
    a JDK toolchain resolver wherever jvmToolchain() is used
  - Android native libraries: 16 KB page alignment (linker flag for android targets in
    bindings/build.rs, checked after the build by bindings/android/build.sh); abiFilters of
    the app = the ABIs the build script builds; the generated Kotlin and libraries outside
    any build/ directory (Gradle's clean deletes build/)
  - the phone libraries are built without cordon-ffi's default features (Android and iOS
    build scripts): no built-in HTTP, and no compiled-in time-zone database (the device's
    own is read), which keeps the library under its 4 MB budget
  - network security: plain HTTP to the emulator's host and loopback in release builds, to
    any host (a LAN address) in debug builds, and the default server URL allowed
  - iOS: the XCFramework's headers, made by running bindings/ios/headers.sh here on uniffi's
    Swift output (the real one when target/debug has the library, and one without trailing
    newlines): one folder per C module, each with its header and a module map that
    declares exactly that module and ends with a newline; deployment targets
  - docs and scripts: every mention of Xcode, Android Studio, AGP, Gradle, NDK, JDK, SDK
    and minSdk versions equals the versions file
  - self-test: the same checks run on a copy of the files with one planted mistake each,
    and must fail on it (so that this script can fail)

    scripts/check-phone-builds.py           # checks and self-test; exit 1 on any failure
    scripts/check-phone-builds.py --no-self-test

The last line is `phone-builds: N passed, F failed` (scripts/test.sh counts it).
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = "phone-versions.properties"

# Files that name toolchain versions in prose or comments.
DOCS = [
    "README.md",
    "android-demo/README.md",
    "ios-demo/README.md",
    "bindings/README.md",
    "bindings/android/build.sh",
    "bindings/ios/build.sh",
    "ios-demo/project.yml",
]
GRADLE_BUILDS = ["android-demo", "bindings/android"]
APP_GRADLE = "android-demo/app/build.gradle.kts"
AAR_GRADLE = "bindings/android/cordon/build.gradle.kts"
ANDROID_SCRIPT = "bindings/android/build.sh"
IOS_SCRIPT = "bindings/ios/build.sh"
HEADERS_SCRIPT = "bindings/ios/headers.sh"
BUILD_RS = "bindings/build.rs"
NSC_MAIN = "android-demo/app/src/main/res/xml/network_security_config.xml"
NSC_DEBUG = "android-demo/app/src/debug/res/xml/network_security_config.xml"
C_MODULES = ["CordonFFI", "CordonCoreFFI"]

REQUIRED_KEYS = [
    "xcode", "ios.app.deployment", "ios.package.deployment", "android.studio", "agp", "gradle",
    "kotlin.android", "ndk", "ndk.release", "jdk", "android.compileSdk", "android.targetSdk",
    "android.minSdk", "android.abis", "android.maxPageSize",
]
# The oldest Gradle each AGP line needs (developer.android.com/build/releases/gradle-plugin).
AGP_MIN_GRADLE = {
    (8, 3): (8, 4), (8, 4): (8, 6), (8, 5): (8, 7), (8, 6): (8, 7), (8, 7): (8, 9),
    (8, 8): (8, 10, 2), (8, 9): (8, 11, 1), (8, 10): (8, 11, 1), (8, 11): (8, 13),
}
# The first Android Studio release that supports each AGP line.
AGP_FIRST_STUDIO = {
    (8, 3): (2023, 2, 1), (8, 4): (2023, 3, 1), (8, 5): (2024, 1, 1), (8, 6): (2024, 1, 2),
    (8, 7): (2024, 2, 1), (8, 8): (2024, 2, 2), (8, 9): (2024, 3, 1), (8, 10): (2024, 3, 2), (8, 11): (2025, 1, 1),
}
# The Swift each Xcode line ships.
XCODE_SWIFT = {15: (5, 9), 16: (6, 0), 26: (6, 2)}
STUDIO_CODENAMES = ["Giraffe", "Hedgehog", "Iguana", "Jellyfish", "Koala", "Ladybug", "Meerkat", "Narwhal"]


def version_tuple(text):
    return tuple(int(p) for p in re.findall(r"\d+", text))


class Checker:
    """Runs every check on the tree at `root`; `failures` holds (check, detail)."""

    def __init__(self, root, generated_swift=None):
        self.root = Path(root)
        self.generated_swift = generated_swift
        self.passed = []
        self.failures = []

    def read(self, rel):
        return (self.root / rel).read_text(encoding="utf-8")

    def check(self, name, problems):
        if problems:
            self.failures.extend((name, p) for p in problems)
        else:
            self.passed.append(name)

    def run(self):
        try:
            self.v = self.versions()
        except (OSError, ValueError) as e:
            self.check("versions file", [str(e)])
            return self
        for method in [
            self.pairs, self.gradle_properties, self.gradle_wrapper, self.plugins, self.sdk_levels,
            self.toolchain_resolver, self.page_alignment, self.abi_filters, self.outputs_outside_build,
            self.network_security, self.modulemaps, self.apple_targets, self.mentions,
            self.phone_features,
        ]:
            try:
                method()
            except OSError as e:
                self.check(method.__name__, [f"cannot read: {e}"])
        return self

    # -- the versions file ------------------------------------------------------------
    def versions(self):
        values = {}
        for line in self.read(VERSIONS).splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
        missing = [k for k in REQUIRED_KEYS if not values.get(k)]
        if missing:
            raise ValueError(f"{VERSIONS} lacks {', '.join(missing)}")
        self.passed.append("versions file")
        return values

    def pairs(self):
        v, problems = self.v, []
        agp = version_tuple(v["agp"])
        need = AGP_MIN_GRADLE.get(agp[:2])
        if need is None:
            problems.append(f"AGP {v['agp']}: no known minimum Gradle (add it to AGP_MIN_GRADLE)")
        elif version_tuple(v["gradle"]) < need:
            problems.append(f"AGP {v['agp']} needs Gradle {'.'.join(map(str, need))} or later, not {v['gradle']}")
        studio = AGP_FIRST_STUDIO.get(agp[:2])
        if studio and version_tuple(v["android.studio"]) < studio:
            problems.append(f"AGP {v['agp']} needs Android Studio {'.'.join(map(str, studio))} or later, "
                            f"not {v['android.studio']}")
        if int(v["android.minSdk"]) < 26:
            problems.append(f"minSdk {v['android.minSdk']}: the generated API uses java.time (API 26)")
        if not int(v["android.minSdk"]) <= int(v["android.targetSdk"]) <= int(v["android.compileSdk"]):
            problems.append("minSdk <= targetSdk <= compileSdk does not hold")
        if version_tuple(v["xcode"])[0] < 16:
            problems.append(f"Xcode {v['xcode']}: the app needs Xcode 16 (main-actor views, Swift 5.10+)")
        if int(v["jdk"]) < 17:
            problems.append(f"JDK {v['jdk']}: AGP 8 needs JDK 17")
        if not v["ndk.release"].startswith(f"r{v['ndk'].split('.')[0]}"):
            problems.append(f"ndk.release {v['ndk.release']} is not NDK {v['ndk']}")
        self.check("version pairs (AGP/Gradle, SDK levels, Xcode, JDK, NDK)", problems)

    # -- Gradle -------------------------------------------------------------------------
    def gradle_properties(self):
        problems = []
        for build in GRADLE_BUILDS:
            uses_androidx = any("androidx." in p.read_text(encoding="utf-8")
                                for p in (self.root / build).rglob("*.gradle.kts"))
            props = self.root / build / "gradle.properties"
            if uses_androidx and (not props.exists()
                                  or not re.search(r"^android\.useAndroidX\s*=\s*true\s*$", props.read_text(), re.M)):
                problems.append(f"{build}: depends on AndroidX but gradle.properties lacks android.useAndroidX=true")
        self.check("gradle.properties: android.useAndroidX=true", problems)

    def gradle_wrapper(self):
        problems = []
        for build in GRADLE_BUILDS:
            rel = f"{build}/gradle/wrapper/gradle-wrapper.properties"
            if not (self.root / rel).exists():
                problems.append(f"{rel}: missing")
                continue
            m = re.search(r"^distributionUrl=.*gradle-([\d.]+)-(?:bin|all)\.zip$", self.read(rel), re.M)
            if not m or m.group(1) != self.v["gradle"]:
                problems.append(f"{rel}: Gradle {m.group(1) if m else '?'}, not {self.v['gradle']}")
        self.check("Gradle wrapper version", problems)

    def gradle_files(self):
        for build in GRADLE_BUILDS:
            for p in sorted((self.root / build).rglob("*.gradle.kts")):
                if "build" not in p.relative_to(self.root / build).parts[:-1]:
                    yield p.relative_to(self.root).as_posix(), p.read_text(encoding="utf-8")

    def plugins(self):
        problems, seen = [], 0
        for rel, text in self.gradle_files():
            for plugin, version in re.findall(r'id\("([\w.]+)"\)\s+version\s+"([^"]+)"', text):
                seen += 1
                if plugin.startswith("com.android.") and version != self.v["agp"]:
                    problems.append(f"{rel}: {plugin} {version}, not AGP {self.v['agp']}")
                if plugin.startswith("org.jetbrains.kotlin.") and version != self.v["kotlin.android"]:
                    problems.append(f"{rel}: {plugin} {version}, not Kotlin {self.v['kotlin.android']}")
        if not seen:
            problems.append("no plugin versions found in any build.gradle.kts")
        self.check("Gradle plugin versions (AGP, Kotlin)", problems)

    def sdk_levels(self):
        problems = []
        expected = {"compileSdk": "android.compileSdk", "minSdk": "android.minSdk", "targetSdk": "android.targetSdk"}
        for rel, text in self.gradle_files():
            for name, value in re.findall(r"\b(compileSdk|minSdk|targetSdk)\s*=\s*(\d+)", text):
                if value != self.v[expected[name]]:
                    problems.append(f"{rel}: {name} = {value}, not {self.v[expected[name]]}")
        aar = self.read(AAR_GRADLE)
        m = re.search(r'ndkVersion\s*=\s*"([^"]+)"', aar)
        if not m or m.group(1) != self.v["ndk"]:
            problems.append(f"{AAR_GRADLE}: ndkVersion {m.group(1) if m else 'missing'}, not {self.v['ndk']}")
        for rel in [AAR_GRADLE, APP_GRADLE]:
            if not re.search(r"\bminSdk\s*=", self.read(rel)):
                problems.append(f"{rel}: no minSdk")
        script = self.read(ANDROID_SCRIPT)
        if re.search(r"^\s*MIN_SDK=\d", script, re.M) or "android.minSdk" not in script:
            problems.append(f"{ANDROID_SCRIPT}: MIN_SDK must come from {VERSIONS} (android.minSdk)")
        self.check("SDK levels and NDK (compileSdk, minSdk >= 26, targetSdk, ndkVersion)", problems)

    def toolchain_resolver(self):
        problems = []
        for build in GRADLE_BUILDS:
            uses = [rel for rel, text in self.gradle_files() if rel.startswith(build + "/") and "jvmToolchain(" in text]
            settings = self.root / build / "settings.gradle.kts"
            if uses and "org.gradle.toolchains.foojay-resolver-convention" not in settings.read_text():
                problems.append(f"{build}: {', '.join(uses)} use jvmToolchain() but settings.gradle.kts has no toolchain resolver")
            for rel in uses:
                m = re.search(r"jvmToolchain\((\d+)\)", self.read(rel))
                if m and m.group(1) != self.v["jdk"]:
                    problems.append(f"{rel}: jvmToolchain({m.group(1)}), not JDK {self.v['jdk']}")
        self.check("JDK toolchain resolver", problems)

    # -- Android native libraries -------------------------------------------------------
    def page_alignment(self):
        problems = []
        size = self.v["android.maxPageSize"]
        build_rs = self.read(BUILD_RS) if (self.root / BUILD_RS).exists() else ""
        flag = re.search(r'if [^{]*CARGO_CFG_TARGET_OS[^{]*"android"[^{]*\{[^}]*rustc-link-arg=-Wl,-z,max-page-size=(\d+)',
                         build_rs, re.S)
        if not flag:
            problems.append(f"{BUILD_RS}: no -Wl,-z,max-page-size link argument for android targets")
        elif flag.group(1) != size:
            problems.append(f"{BUILD_RS}: max-page-size={flag.group(1)}, not {size}")
        script = self.read(ANDROID_SCRIPT)
        if "llvm-readelf" not in script or "android.maxPageSize" not in script:
            problems.append(f"{ANDROID_SCRIPT}: does not check the LOAD segment alignment of the built libraries")
        self.check("16 KB page alignment of libcordon.so", problems)

    def abi_filters(self):
        problems = []
        want = set(self.v["android.abis"].split())
        app = self.read(APP_GRADLE)
        m = re.search(r"abiFilters\s*\+=\s*listOf\(([^)]*)\)", app)
        filters = set(re.findall(r'"([\w-]+)"', m.group(1))) if m else set()
        if filters != want:
            problems.append(f"{APP_GRADLE}: abiFilters {sorted(filters) or 'missing'}, not {sorted(want)}")
        built = set(re.findall(r"-t\s+([\w-]+)", self.read(ANDROID_SCRIPT)))
        if built != want:
            problems.append(f"{ANDROID_SCRIPT}: builds {sorted(built)}, not {sorted(want)}")
        self.check("ABIs (abiFilters = the ABIs built)", problems)

    def phone_features(self):
        problems = []
        for rel in [ANDROID_SCRIPT, IOS_SCRIPT]:
            builds = re.findall(r"build --release -p cordon-ffi[^\n]*", self.read(rel))
            if not builds:
                problems.append(f"{rel}: no `build --release -p cordon-ffi`")
            problems += [f"{rel}: `{b.split('#')[0].strip()}` keeps the default features (built-in HTTP, "
                         "compiled-in time zones: about 1.9 MB)"
                         for b in builds if "--no-default-features" not in b]
        self.check("phone libraries without default features (HTTP, compiled-in time zones)", problems)

    def outputs_outside_build(self):
        problems = []
        script = self.read(ANDROID_SCRIPT)
        for var in ["JNI_LIBS", "KOTLIN_OUT"]:
            m = re.search(rf"^{var}=(\S+)", script, re.M)
            if not m or "/build/" in m.group(1) + "/":
                problems.append(f"{ANDROID_SCRIPT}: {var} is {m.group(1) if m else 'unset'}: under build/, `clean` deletes it")
        for rel, text in list(self.gradle_files()) + [(rel, self.read(rel)) for rel in DOCS]:
            if re.search(r"cordon/build/rust", text):
                problems.append(f"{rel}: still names cordon/build/rust")
        aar = self.read(AAR_GRADLE)
        for line in re.findall(r"(?:java|jniLibs)\.srcDir\(([^\n]*)\)", aar):
            if "buildDirectory" in line or re.search(r"\bbuild/", line):
                problems.append(f"{AAR_GRADLE}: source {line} is under build/")
        self.check("generated Kotlin and native libraries outside build/", problems)

    def network_security(self):
        problems = []
        main = self.read(NSC_MAIN)
        hosts = set(re.findall(r"<domain[^>]*>([^<]+)</domain>", main))
        if 'cleartextTrafficPermitted="true"' in re.sub(r"<domain-config.*?</domain-config>", "", main, flags=re.S):
            problems.append(f"{NSC_MAIN}: release builds allow plain HTTP beyond the development hosts")
        props = self.read("android-demo/gradle.properties")
        m = re.search(r"^cordon\.serverUrl=(\w+)://([^:/\s]+)", props, re.M)
        if not m:
            problems.append("android-demo/gradle.properties: no cordon.serverUrl")
        elif m.group(1) == "http" and m.group(2) not in hosts:
            problems.append(f"default server {m.group(2)} is not allowed plain HTTP in {NSC_MAIN}")
        debug = self.root / NSC_DEBUG
        if not debug.exists() or not re.search(r'<base-config[^>]*cleartextTrafficPermitted="true"', debug.read_text()):
            problems.append(f"{NSC_DEBUG}: debug builds must allow plain HTTP to a LAN address (base-config)")
        self.check("network security config (emulator, loopback, LAN in debug)", problems)

    # -- iOS ----------------------------------------------------------------------------
    def modulemaps(self):
        problems = []
        script = self.read(IOS_SCRIPT)
        if re.search(r"cat [^\n]*modulemap[^\n]*modulemap", script):
            problems.append(f"{IOS_SCRIPT}: concatenates module maps")
        if "headers.sh" not in script:
            problems.append(f"{IOS_SCRIPT}: does not lay out the headers with headers.sh")
        with tempfile.TemporaryDirectory() as synthetic:
            inputs = {"uniffi-like output without trailing newlines": synthetic_swift_output(Path(synthetic))}
            if self.generated_swift:
                inputs["uniffi's output for target/debug/libcordon"] = self.generated_swift
            problems += self.lay_out_headers(inputs)
        self.check("XCFramework headers and module maps", problems)

    def lay_out_headers(self, inputs):
        problems = []
        for label, generated in inputs.items():
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "headers"
                run = subprocess.run(["bash", str(self.root / HEADERS_SCRIPT), str(generated), str(out)],
                                     capture_output=True, text=True)
                if run.returncode != 0:
                    problems.append(f"{HEADERS_SCRIPT} failed on {label}: {run.stderr.strip()}")
                    continue
                problems += [f"{label}: {p}" for p in headers_problems(out)]
        return problems

    def apple_targets(self):
        problems = []
        v = self.v
        project = self.read("ios-demo/project.yml")
        m = re.search(r'^\s*iOS:\s*"([\d.]+)"', project, re.M)
        if not m or m.group(1) != v["ios.app.deployment"]:
            problems.append(f"ios-demo/project.yml: iOS {m.group(1) if m else '?'}, not {v['ios.app.deployment']}")
        m = re.search(r'^\s*xcodeVersion:\s*"([\d.]+)"', project, re.M)
        if not m or m.group(1) != v["xcode"]:
            problems.append(f"ios-demo/project.yml: xcodeVersion {m.group(1) if m else 'missing'}, not {v['xcode']}")
        swift = XCODE_SWIFT.get(version_tuple(v["xcode"])[0])
        for rel, key in [("ios-demo/CordonAppCore/Package.swift", "ios.app.deployment"),
                         ("bindings/ios/Package.swift", "ios.package.deployment")]:
            text = self.read(rel)
            m = re.search(r"\.iOS\(\.v(\d+)\)", text)
            if not m or m.group(1) != v[key].split(".")[0]:
                problems.append(f"{rel}: .iOS(.v{m.group(1) if m else '?'}), not iOS {v[key]}")
            tools = re.search(r"swift-tools-version:\s*([\d.]+)", text)
            if swift and tools and version_tuple(tools.group(1)) > swift:
                problems.append(f"{rel}: swift-tools-version {tools.group(1)} is newer than Xcode {v['xcode']}'s Swift")
        m = re.search(r"IPHONEOS_DEPLOYMENT_TARGET:-([\d.]+)", self.read(IOS_SCRIPT))
        if not m or m.group(1) != v["ios.package.deployment"]:
            problems.append(f"{IOS_SCRIPT}: IPHONEOS_DEPLOYMENT_TARGET {m.group(1) if m else '?'}, not {v['ios.package.deployment']}")
        self.check("Apple deployment targets and Xcode", problems)

    # -- prose --------------------------------------------------------------------------
    def mentions(self):
        v = self.v
        codename, studio = v["android.studio"].split()
        rules = [
            ("Xcode", r"\bXcode (\d+(?:\.\d+)*)", {v["xcode"]}),
            ("Android Studio", r"\b(" + "|".join(STUDIO_CODENAMES) + r")\b", {codename}),
            ("Android Studio", r"\b(20\d\d\.\d+\.\d+)\b", {studio}),
            ("AGP", r"\b(?:AGP|Android Gradle Plugin) (\d+\.\d+(?:\.\d+)?)", {v["agp"]}),
            ("Gradle", r"\bGradle (\d+\.\d+(?:\.\d+)?)", {v["gradle"]}),
            ("Gradle", r"--gradle-version (\d[\d.]*)", {v["gradle"]}),
            ("NDK", r"\bNDK (r?\d[\w.]*)", {v["ndk"], v["ndk.release"]}),
            ("JDK", r"\bJDK (\d+)", {v["jdk"]}),
            ("SDK", r"\bSDK (\d\d)\b", {v["android.compileSdk"]}),
            ("minSdk", r"\bminSdk:? (\d+)", {v["android.minSdk"]}),
        ]
        problems, found = [], 0
        for rel in DOCS:
            for n, line in enumerate(self.read(rel).splitlines(), 1):
                for tool, pattern, allowed in rules:
                    for value in re.findall(pattern, line):
                        found += 1
                        value = value.rstrip(".,;:)`")
                        if value not in allowed:
                            problems.append(f"{rel}:{n}: {tool} {value}, not {' or '.join(sorted(allowed))}")
        if found == 0:
            problems.append("no toolchain version is named in any README")
        for rel in ["android-demo/README.md", "ios-demo/README.md"]:
            text = self.read(rel)
            needs = ["Xcode"] if rel.startswith("ios") else ["Android Studio", "AGP", "Gradle", "NDK", "JDK"]
            for tool in needs:
                if not re.search(rf"\b{tool} [\dr]|\b{tool} (?:{'|'.join(STUDIO_CODENAMES)})", text):
                    problems.append(f"{rel}: never says which {tool} version is needed")
        self.check("toolchain versions named in docs and scripts", problems)


def headers_problems(out):
    """What is wrong with a Headers directory as headers.sh made it."""
    problems = []
    entries = sorted(p.name for p in out.iterdir())
    if entries != sorted(C_MODULES):
        problems.append(f"Headers holds {entries}, not one folder per module {sorted(C_MODULES)}")
    for module in C_MODULES:
        folder = out / module
        modulemap = folder / "module.modulemap"
        if not modulemap.is_file():
            problems.append(f"{module}/module.modulemap missing")
            continue
        text = modulemap.read_text()
        if not text.endswith("\n"):
            problems.append(f"{module}/module.modulemap does not end with a newline")
        declared = re.findall(r"(?:^|\n)\s*(?:framework\s+)?module\s+(\w+)\s*\{", text)
        if declared != [module]:
            problems.append(f"{module}/module.modulemap declares {declared}, not [{module!r}]")
        if re.search(r"\}\s*module\b", text.replace("\n", " ")) and "}\nmodule" not in text:
            problems.append(f"{module}/module.modulemap has a module declaration glued to a closing brace")
        if text.count("{") != text.count("}"):
            problems.append(f"{module}/module.modulemap has unbalanced braces")
        for header in re.findall(r'header\s+"([^"]+)"', text):
            if not (folder / header).is_file():
                problems.append(f"{module}/module.modulemap names {header}, which is not beside it")
    return problems


def synthetic_swift_output(out):
    """uniffi's Swift output for the two C modules, each file without a trailing newline, in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for module in C_MODULES:
        (out / f"{module}.h").write_text(f"// {module}\n#pragma once\n")
        (out / f"{module}.modulemap").write_text(
            f'module {module} {{\n    header "{module}.h"\n    export *\n    use "Darwin"\n}}')
    return out


def real_swift_output():
    """uniffi-bindgen's Swift output for target/debug/libcordon, if both are built (None if
    not); exits with bindgen's error if it cannot generate from a built library."""
    debug = ROOT / "target" / "debug"
    lib = next((p for p in [debug / "libcordon.so", debug / "libcordon.dylib"] if p.exists()), None)
    bindgen = debug / "uniffi-bindgen"
    if lib is None or not bindgen.exists():
        return None
    out = Path(tempfile.mkdtemp(prefix="phone-builds-uniffi-"))
    run = subprocess.run([str(bindgen), "generate", "--library", str(lib), "--language", "swift",
                          "--out-dir", str(out), "--config", str(ROOT / "bindings/bindgen.toml"), "--no-format"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        # Built but not generated is a broken build, not a reason to skip the real check.
        shutil.rmtree(out, ignore_errors=True)
        sys.exit(f"check-phone-builds: uniffi-bindgen failed on {lib}:\n{run.stderr}")
    return out


# -- self-test: planted mistakes -------------------------------------------------------------

def plant(path, old, new):
    def apply(root):
        p = root / path
        text = p.read_text()
        if old not in text:
            raise AssertionError(f"cannot plant: {old!r} not in {path}")
        p.write_text(text.replace(old, new, 1))
    return apply


def remove(path):
    return lambda root: (root / path).unlink()


PLANTED = [
    ("no android.useAndroidX in the AAR's build", "gradle.properties",
     plant("bindings/android/gradle.properties", "android.useAndroidX=true", "")),
    ("Gradle too old for AGP", "version pairs", plant(VERSIONS, "gradle=8.11.1", "gradle=8.7")),
    ("Android Studio too old for AGP", "version pairs",
     plant(VERSIONS, "android.studio=Ladybug 2024.2.1", "android.studio=Koala 2024.1.1")),
    ("wrapper on another Gradle", "Gradle wrapper",
     plant("android-demo/gradle/wrapper/gradle-wrapper.properties", "gradle-8.11.1-bin", "gradle-8.10-bin")),
    ("minSdk 24 in the AAR", "SDK levels", plant(AAR_GRADLE, "minSdk = 26", "minSdk = 24")),
    ("AGP of one build differs", "Gradle plugin versions",
     plant("bindings/android/build.gradle.kts", '"8.7.3"', '"8.6.1"')),
    ("jvmToolchain without a resolver", "JDK toolchain resolver",
     plant("android-demo/settings.gradle.kts", "foojay-resolver-convention", "foojay-resolver-gone")),
    ("no 16 KB page flag", "16 KB page alignment",
     plant(BUILD_RS, "rustc-link-arg=-Wl,-z,max-page-size=16384", "rustc-link-arg=-Wl,-z,max-page-size=4096")),
    ("x86_64 missing from abiFilters", "ABIs", plant(APP_GRADLE, ', "x86_64"', "")),
    ("iOS library with the compiled-in time zones", "phone libraries without default features",
     plant(IOS_SCRIPT, "-p cordon-ffi --no-default-features", "-p cordon-ffi")),
    ("native libraries back under build/", "outside build/",
     plant(ANDROID_SCRIPT, "JNI_LIBS=$MODULE/rust/jniLibs", "JNI_LIBS=$MODULE/build/rust/jniLibs")),
    ("no debug network config for a LAN address", "network security", remove(NSC_DEBUG)),
    ("module maps concatenated without a newline", "XCFramework headers",
     plant(HEADERS_SCRIPT, '{ cat "$GEN/$module.modulemap"; echo; }', 'cat "$GEN/$module.modulemap"')),
    ("headers at the top of include/", "XCFramework headers",
     plant(HEADERS_SCRIPT, 'mkdir -p "$OUT/$module"\n    cp "$GEN/$module.h" "$OUT/$module/"',
           'mkdir -p "$OUT/$module"\n    cp "$GEN/$module.h" "$OUT/"')),
    ("README says Xcode 15", "toolchain versions named", plant("ios-demo/README.md", "Xcode 16.0", "Xcode 15")),
    ("README says Gradle 8.7", "toolchain versions named",
     plant("android-demo/README.md", "Gradle 8.11.1", "Gradle 8.7")),
    ("project.yml on another iOS", "Apple deployment targets",
     plant("ios-demo/project.yml", 'iOS: "17.0"', 'iOS: "16.0"')),
]


def copy_tree(dest):
    """The files the checks read, copied under `dest`."""
    files = set(DOCS) | {VERSIONS, HEADERS_SCRIPT, BUILD_RS, NSC_MAIN, NSC_DEBUG,
                         "ios-demo/CordonAppCore/Package.swift", "bindings/ios/Package.swift"}
    for build in GRADLE_BUILDS:
        base = ROOT / build
        for p in list(base.rglob("*.gradle.kts")) + list(base.glob("gradle.properties")) + \
                list(base.glob("gradle/wrapper/gradle-wrapper.properties")):
            if "build" not in p.relative_to(base).parts[:-1]:
                files.add(p.relative_to(ROOT).as_posix())
    for rel in files:
        if (ROOT / rel).exists():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)


def self_test(generated):
    """(name, ok, detail) for the clean copy and for each planted mistake."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        clean = Path(tmp) / "clean"
        copy_tree(clean)
        c = Checker(clean, generated).run()
        results.append(("self-test: a copy of the tree passes", not c.failures,
                        "; ".join(f"{n}: {d}" for n, d in c.failures)))
        for i, (what, expected_check, apply) in enumerate(PLANTED):
            root = Path(tmp) / f"planted-{i}"
            copy_tree(root)
            try:
                apply(root)
            except AssertionError as e:
                results.append((f"self-test: finds {what}", False, str(e)))
                continue
            c = Checker(root, generated).run()
            hits = [d for n, d in c.failures if expected_check in n]
            results.append((f"self-test: finds {what}", bool(hits),
                            hits[0] if hits else f"no failure in '{expected_check}' ({len(c.failures)} others)"))
    return results


def main():
    generated = real_swift_output()
    try:
        return report(generated)
    finally:
        if generated:
            shutil.rmtree(generated, ignore_errors=True)


def report(generated):
    checker = Checker(ROOT, generated).run()
    passed, failed = len(checker.passed), 0
    for name in checker.passed:
        print(f"ok    {name}")
    for name, detail in checker.failures:
        print(f"FAIL  {name}: {detail}")
    failed += len({n for n, _ in checker.failures})
    if generated is None:
        print("note  target/debug has no libcordon and uniffi-bindgen: module maps checked on a synthetic "
              "uniffi output only (scripts/bindings.sh build first for the real one)")
    if "--no-self-test" not in sys.argv[1:]:
        for name, ok, detail in self_test(generated):
            print(f"ok    {name}  ({detail})" if ok else f"FAIL  {name}: {detail}")
            passed += ok
            failed += not ok
    print(f"phone-builds: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
