package main

import (
	"os"

	"example.com/color"
	"example.com/greet"
	"example.com/local"
)

func main() { os.Stdout.WriteString(color.Red(greet.Hello()) + local.Hello() + "\n") }
