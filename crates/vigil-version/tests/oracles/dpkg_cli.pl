#!/usr/bin/perl
# Oracle: the real `dpkg --compare-versions`, one exec per request (slow: the test only sends it
# a sample). See README.md for the protocol. Exit status 0 = relation true, 1 = false,
# 2 = a version has bad syntax (dpkg only warns for some bad syntax and goes on).
use strict;
use warnings;

sub unhex { my $h = shift; $h =~ s/^x//; return pack('H*', $h); }

sub dpkg_rel {
    my ($a, $rel, $b) = @_;
    my $rc = system { 'dpkg' } 'dpkg', '--compare-versions', '--', $a, $rel, $b;
    die "cannot run dpkg: $!" if $rc == -1;
    return $rc >> 8;
}

open(STDERR, '>', '/dev/null');
open(my $in, '<', $ARGV[0]) or die "cannot open $ARGV[0]: $!";
$| = 1;
while (my $line = <$in>) {
    chomp $line;
    my ($op, @args) = split / /, $line, -1;
    if ($op eq 'V') {
        my $v = unhex($args[0]);
        my $rc = dpkg_rel($v, 'eq', $v);
        print $rc == 0 ? "ok\n" : "invalid\n";
    } elsif ($op eq 'C') {
        my ($a, $b) = map { unhex($_) } @args;
        my $lt = dpkg_rel($a, 'lt', $b);
        if ($lt == 0) { print "-1\n"; next; }
        if ($lt != 1) { print "invalid\n"; next; }
        my $eq = dpkg_rel($a, 'eq', $b);
        print $eq == 0 ? "0\n" : $eq == 1 ? "1\n" : "invalid\n";
    } else {
        die "bad request: $line";
    }
}
