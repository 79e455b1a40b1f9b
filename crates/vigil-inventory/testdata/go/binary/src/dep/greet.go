package local

func Hello() string { return "hello" }
