module example.com/vigilapp

go 1.19

require (
	example.com/color v1.0.0
	example.com/greet v1.2.3
	example.com/local v0.1.0
)

replace example.com/greet v1.2.3 => example.com/greetfork v1.1.0

replace example.com/local => ../dep
