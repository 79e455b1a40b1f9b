// Oracle: maven-artifact's ComparableVersion (Debian's maven, /usr/share/maven/lib/
// maven-artifact-3.x.jar). Compiled by the test:
//   javac -cp <jar> -d <tmp> MavenCompare.java && java -cp <tmp>:<jar> MavenCompare <input>
// ComparableVersion accepts every string, so every `V` request answers `ok`.
// See README.md for the protocol.
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenCompare {
    static String unhex(String h) {
        h = h.substring(1);
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                new FileInputStream(args[0]), StandardCharsets.US_ASCII));
             BufferedWriter out = new BufferedWriter(new OutputStreamWriter(
                System.out, StandardCharsets.US_ASCII))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split(" ", -1);
                if (f[0].equals("V")) {
                    new ComparableVersion(unhex(f[1]));
                    out.write("ok\n");
                } else if (f[0].equals("C")) {
                    int c = new ComparableVersion(unhex(f[1]))
                        .compareTo(new ComparableVersion(unhex(f[2])));
                    out.write(Integer.signum(c) + "\n");
                } else {
                    throw new IllegalArgumentException("bad request: " + line);
                }
            }
        }
    }
}
