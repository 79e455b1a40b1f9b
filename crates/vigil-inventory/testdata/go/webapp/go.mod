module example.com/webapp

go 1.19

require (
	github.com/gin-gonic/gin v1.9.1
	github.com/google/uuid v1.3.0
	github.com/jackc/pgx/v5 v5.4.3
	github.com/sirupsen/logrus v1.9.3
	example.com/webapp/internal/auth v0.0.0-00010101000000-000000000000
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/bytedance/sonic v1.9.1 // indirect
	github.com/chenzhuoyu/base64x v0.0.0-20221115062448-fe3a3abad311 // indirect
	github.com/gabriel-vasile/mimetype v1.4.2 // indirect
	github.com/gin-contrib/sse v0.1.0 // indirect
	github.com/go-playground/locales v0.14.1 // indirect
	github.com/go-playground/universal-translator v0.18.1 // indirect
	github.com/go-playground/validator/v10 v10.14.0 // indirect
	github.com/goccy/go-json v0.10.2 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20221227161230-091c0ba34f0a // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/klauspost/cpuid/v2 v2.2.4 // indirect
	github.com/leodido/go-urn v1.2.4 // indirect
	github.com/mattn/go-isatty v0.0.19 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.2 // indirect
	github.com/pelletier/go-toml/v2 v2.0.8 // indirect
	github.com/twitchyliquid64/golang-asm v0.15.1 // indirect
	github.com/ugorji/go/codec v1.2.11 // indirect
	golang.org/x/arch v0.3.0 // indirect
	golang.org/x/crypto v0.9.0 // indirect
	golang.org/x/net v0.10.0 // indirect
	golang.org/x/sys v0.8.0 // indirect
	golang.org/x/text v0.9.0 // indirect
	google.golang.org/protobuf v1.30.0 // indirect
)

require github.com/docker/docker v20.10.24+incompatible // indirect

// The fork carries a fix for the connection pool; only for this version.
replace github.com/jackc/pgx/v5 v5.4.3 => github.com/example-forks/pgx/v5 v5.4.3-fork.1

replace (
	example.com/webapp/internal/auth => ./internal/auth
	golang.org/x/net => golang.org/x/net v0.17.0
	golang.org/x/text v0.3.0 => golang.org/x/text v0.3.8
)

exclude golang.org/x/crypto v0.1.0

retract v1.0.1 // published by mistake
