<?php
// Reference for FriendsOfPHP records: JSON lines {"branches": [[constraint, ...], ...],
// "versions": [...]} -> JSON array: vulnerable (some branch's AND of constraints is satisfied),
// or null when composer/semver cannot normalise the version.
require '/usr/share/php/Composer/Semver/autoload.php';
use Composer\Semver\Semver;
use Composer\Semver\VersionParser;
$parser = new VersionParser();
while (($line = fgets(STDIN)) !== false) {
    $rec = json_decode($line, true);
    $out = [];
    foreach ($rec['versions'] as $v) {
        try {
            $parser->normalize($v);
        } catch (\Exception $e) {
            $out[] = null;
            continue;
        }
        $hit = false;
        foreach ($rec['branches'] as $b) {
            try {
                if (Semver::satisfies($v, implode(',', $b))) { $hit = true; break; }
            } catch (\Exception $e) {
                $out[] = 'error: ' . $e->getMessage();
                continue 2;
            }
        }
        $out[] = $hit;
    }
    echo json_encode($out), "\n";
}
