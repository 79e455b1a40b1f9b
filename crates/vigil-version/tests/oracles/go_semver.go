// Oracle: golang.org/x/mod/semver (Debian's golang-golang-x-mod-dev), built by the test in
// GOPATH mode: GO111MODULE=off GOPATH=/usr/share/gocode go build -o <tmp>/go_semver go_semver.go
// Versions are compared exactly as given (the test adds the "v" prefix Go requires).
// See README.md for the protocol.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func unhex(h string) string {
	b, err := hex.DecodeString(strings.TrimPrefix(h, "x"))
	if err != nil {
		panic(err)
	}
	return string(b)
}

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), " ")
		switch fields[0] {
		case "V":
			if semver.IsValid(unhex(fields[1])) {
				fmt.Fprintln(w, "ok")
			} else {
				fmt.Fprintln(w, "invalid")
			}
		case "C":
			a, b := unhex(fields[1]), unhex(fields[2])
			if !semver.IsValid(a) || !semver.IsValid(b) {
				fmt.Fprintln(w, "invalid")
			} else {
				fmt.Fprintln(w, semver.Compare(a, b))
			}
		default:
			panic("bad request: " + sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		panic(err)
	}
}
