#!/usr/bin/perl
# Oracle: Perl Dpkg::Version (libdpkg-perl). See README.md for the protocol.
# Only versions that pass Dpkg::Version's strict `version_check` are "ok"; the test sends the
# rest (which C dpkg may still accept with a warning) to dpkg_cli.pl.
use strict;
use warnings;
use Dpkg::Version;

sub unhex { my $h = shift; $h =~ s/^x//; return pack('H*', $h); }

open(my $in, '<', $ARGV[0]) or die "cannot open $ARGV[0]: $!";
while (my $line = <$in>) {
    chomp $line;
    my ($op, @args) = split / /, $line, -1;
    if ($op eq 'V') {
        print version_check(unhex($args[0])) ? "ok\n" : "invalid\n";
    } elsif ($op eq 'C') {
        my ($a, $b) = map { unhex($_) } @args;
        if (!version_check($a) || !version_check($b)) { print "invalid\n"; next; }
        my $r = Dpkg::Version->new($a) <=> Dpkg::Version->new($b);
        print(($r <=> 0), "\n");
    } else {
        die "bad request: $line";
    }
}
