package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParseConfigSecretsAreRefusedUnquoted(t *testing.T) {
	const secret = "sk-9f8e7d6c5b4a"
	const msg = "looks like a secret, and a secret must not be in a file: remove it, put the secret in an " +
		"environment variable and name that variable in client_secret_env of [smartcar]"
	const badEnv = "is not an environment variable name (letters, digits and '_', not starting with a digit); " +
		`name the variable that holds the secret, e.g. "SMARTCAR_CLIENT_SECRET": the secret itself must not be in a file`
	tests := []struct {
		name, lines string
		want        []string
	}{
		{"client_secret", `client_secret = "` + secret + `"`, []string{"smartcar.client_secret: " + msg}},
		{"secret", `secret = "` + secret + `"`, []string{"smartcar.secret: " + msg}},
		{"token", `token = "` + secret + `"`, []string{"smartcar.token: " + msg}},
		{"access_token", `access_token = "` + secret + `"`, []string{"smartcar.access_token: " + msg}},
		{"password", `password = "` + secret + `"`, []string{"smartcar.password: " + msg}},
		{"other spellings", `Client-Secret = "` + secret + `"` + "\nrefresh_token = 1", []string{
			"smartcar.Client-Secret: " + msg, "smartcar.refresh_token: " + msg,
		}},
		{"a table of secrets", "[smartcar.secret]\nvalue = \"" + secret + `"`, []string{"smartcar.secret: " + msg}},
		{"the secret itself in client_secret_env", `client_secret_env = "` + secret + `"`,
			[]string{"smartcar.client_secret_env: " + badEnv}},
		{"env var name starting with a digit", `client_secret_env = "1SECRET"`,
			[]string{"smartcar.client_secret_env: " + badEnv}},
		{"empty env var name", `client_secret_env = ""`, []string{"smartcar.client_secret_env: " + badEnv}},
		{"env var name of the wrong type", `client_secret_env = 42`,
			[]string{"smartcar.client_secret_env: " + badEnv}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "[smartcar]\n" + tt.lines + "\n"
			var want []string
			for i, w := range tt.want {
				want = append(want, fmt.Sprintf("config.toml:%d: %s", 2+i, w))
			}
			got := configProblems(t, src)
			if !slices.Equal(got, want) {
				t.Errorf("Parse(%q) problems =\n%s\nwant\n%s", tt.lines, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, p := range got {
				if strings.Contains(p, secret) || strings.Contains(p, "42") {
					t.Errorf("Parse(%q) problem %q quotes the value", tt.lines, p)
				}
			}
		})
	}
}

func TestIsEnvName(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"upper case", "SMARTCAR_CLIENT_SECRET", true},
		{"lower case", "smartcar_secret", true},
		{"leading underscore", "_S", true},
		{"one letter", "S", true},
		{"digits after the first", "S3CR3T_2", true},
		{"empty", "", false},
		{"leading digit", "2S", false},
		{"dash", "SMARTCAR-SECRET", false},
		{"dollar", "$SMARTCAR_SECRET", false},
		{"space", "SMARTCAR SECRET", false},
		{"non-ASCII letter", "SÉCRET", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isEnvName(tt.s); got != tt.want {
				t.Errorf("isEnvName(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}
