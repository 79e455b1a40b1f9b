#!/usr/bin/env python3
"""Build the hand-made archives of this directory from the real Debian jars next to it."""
import io
import zipfile

ST, DF = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
FIXED = (2024, 1, 2, 3, 4, 6)


def archive(path, entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, method in entries:
            info = zipfile.ZipInfo(name, FIXED)
            info.compress_type = method
            z.writestr(info, data, compresslevel=9 if method == DF else None)
    data = buf.getvalue()
    if path:
        open(path, "wb").write(data)
    return data


def pom(group, artifact, version):
    return f"#Created by Apache Maven 3.8.7\ngroupId={group}\nartifactId={artifact}\nversion={version}\n"


def read(name):
    return open(name, "rb").read()


MF = "Manifest-Version: 1.0\r\nCreated-By: Maven JAR Plugin 3.3.0\r\n\r\n"

war = archive("webapp.war", [
    ("META-INF/MANIFEST.MF", MF, DF),
    ("META-INF/maven/com.example/webapp/pom.properties", pom("com.example", "webapp", "2.0.1"), DF),
    ("WEB-INF/web.xml", '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="5.0"/>\n', DF),
    ("WEB-INF/lib/slf4j-api-1.7.32.jar", read("slf4j-api.jar"), ST),
    ("WEB-INF/lib/aopalliance-1.0.jar", read("aopalliance-1.0.jar"), ST),
])

archive("app.ear", [
    ("META-INF/MANIFEST.MF", MF, DF),
    ("META-INF/application.xml", '<application version="10"><module><web><web-uri>webapp.war</web-uri></web></module></application>\n', DF),
    ("META-INF/maven/com.example/app-ear/pom.properties", pom("com.example", "app-ear", "1.0"), DF),
    ("webapp.war", war, ST),
])

archive("boot.jar", [
    ("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.JarLauncher\r\n"
     "Start-Class: com.example.Demo\r\nSpring-Boot-Lib: BOOT-INF/lib/\r\n\r\n", DF),
    ("META-INF/maven/com.example/boot-demo/pom.properties", pom("com.example", "boot-demo", "0.0.1-SNAPSHOT"), DF),
    ("BOOT-INF/classes/application.properties", "server.port=8080\n", DF),
    ("BOOT-INF/lib/slf4j-api-1.7.32.jar", read("slf4j-api.jar"), ST),
    ("BOOT-INF/lib/slf4j-jdk14-1.7.32.jar", read("slf4j-jdk14.jar"), ST),
])

archive("shaded.jar", [
    ("META-INF/MANIFEST.MF", MF, DF),
    ("META-INF/maven/com.example/shaded-app/pom.properties", pom("com.example", "shaded-app", "3.1.4"), DF),
    ("META-INF/maven/com.google.code.gson/gson/pom.properties", pom("com.google.code.gson", "gson", "2.8.9"), DF),
    ("com/example/App.class", b"\xca\xfe\xba\xbe", DF),
    ("com/example/shaded/gson/Gson.class", b"\xca\xfe\xba\xbe", DF),
])

# a jar of 20 MiB of zeros, deflated into a few KiB inside its carrier
bomb = archive(None, [("zeros.bin", b"\0" * (20 << 20), ST)])
archive("bomb.jar", [
    ("META-INF/maven/com.example/bomb-carrier/pom.properties", pom("com.example", "bomb-carrier", "1.0"), DF),
    ("WEB-INF/lib/bomb-1.0.jar", bomb, DF),
])

# the first 2000 bytes of a real jar: no central directory
open("corrupt.jar", "wb").write(read("slf4j-api.jar")[:2000])
