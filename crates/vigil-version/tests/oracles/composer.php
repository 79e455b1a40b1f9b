<?php
// Oracle: composer/semver (Debian's php-composer-semver): VersionParser::normalize, then
// Comparator on the normalized forms. See README.md for the protocol.
// `V` answers `ok <normalized>`, `branch <normalized>` (dev-* branch names: not ordered
// versions) or `invalid` (normalize throws). `C` answers `invalid` unless both sides normalize
// to a non-branch version.
require '/usr/share/php/Composer/Semver/autoload.php';

use Composer\Semver\Comparator;
use Composer\Semver\VersionParser;

$parser = new VersionParser();

function unhex($h) { return hex2bin(substr($h, 1)); }

function norm($parser, $v) {
    try {
        return $parser->normalize($v);
    } catch (\Exception $e) {
        return null;
    }
}

$out = fopen('php://stdout', 'w');
foreach (file($argv[1], FILE_IGNORE_NEW_LINES) as $line) {
    $f = explode(' ', $line);
    if ($f[0] === 'V') {
        $n = norm($parser, unhex($f[1]));
        if ($n === null) {
            fwrite($out, "invalid\n");
        } elseif (stripos($n, 'dev-') === 0) {
            fwrite($out, 'branch x' . bin2hex($n) . "\n");
        } else {
            fwrite($out, 'ok x' . bin2hex($n) . "\n");
        }
    } elseif ($f[0] === 'C') {
        $a = norm($parser, unhex($f[1]));
        $b = norm($parser, unhex($f[2]));
        if ($a === null || $b === null || stripos($a, 'dev-') === 0 || stripos($b, 'dev-') === 0) {
            fwrite($out, "invalid\n");
        } elseif (Comparator::compare($a, '<', $b)) {
            fwrite($out, "-1\n");
        } elseif (Comparator::compare($a, '==', $b)) {
            fwrite($out, "0\n");
        } elseif (Comparator::compare($a, '>', $b)) {
            fwrite($out, "1\n");
        } else {
            fwrite($out, "?\n");
        }
    } else {
        fwrite(STDERR, "bad request: $line\n");
        exit(2);
    }
}
