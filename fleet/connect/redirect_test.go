package connect

import (
	"strings"
	"testing"
)

func TestParseRedirect(t *testing.T) {
	const user = "725146a3-69f4-46c8-965d-54b3b6f81eb7"
	const query = "user_id=" + user + "&state=0FACDA3319&code=c0de"
	full := Redirect{UserID: user, State: "0FACDA3319", Code: "c0de"}
	tests := []struct {
		name string
		raw  string
		want Redirect
	}{
		{"whole URL", "http://localhost:8000/callback?" + query, full},
		{"https URL with a fragment", "HTTPS://fleet.example.com/cb?" + query + "#top", full},
		{"URL whose scheme the browser hid", "localhost:8000/callback?" + query, full},
		{"bare ?query", "?" + query, full},
		{"bare query", query, full},
		{"spaces, newline and quotes around", " \t\"http://localhost:8000/callback?" + query + "\"\n", full},
		{"single quotes and spaces inside", "' ?" + query + " '", full},
		{"extra parameters are ignored, even repeated", query + "&vin=5YJ3E1EA9JF046211&make=TESLA&x=1&x=2", full},
		{"every parameter, escaped", "?user_id=u&state=s&code=c&external_id=driver%2042&" +
			"virtual_key_url=https%3A%2F%2Fwww.tesla.com%2F_ak%2Fsmartcar.com&error=access_denied&" +
			"error_description=User+denied+access%C2%A0%E2%80%93+sorry", Redirect{UserID: "u", State: "s", Code: "c",
			ExternalID: "driver 42", VirtualKeyURL: "https://www.tesla.com/_ak/smartcar.com", Error: "access_denied",
			ErrorDescription: "User denied access\u00a0– sorry"}},
		{"virtual_key_url unescaped, as Smartcar's docs show it", "http://localhost:8000/callback?user_id=u&state=s&" +
			"virtual_key_url=https://www.tesla.com/_ak/fleetco.app.car",
			Redirect{UserID: "u", State: "s", VirtualKeyURL: "https://www.tesla.com/_ak/fleetco.app.car"}},
		{"bare query with an unescaped URL in it", "state=s&virtual_key_url=https://www.tesla.com/_ak/x.app.car?a=b",
			Redirect{State: "s", VirtualKeyURL: "https://www.tesla.com/_ak/x.app.car?a=b"}},
		{"empty values", "?user_id=&state=s", Redirect{State: "s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRedirect(tt.raw)
			if err != nil || got != tt.want {
				t.Errorf("ParseRedirect(%q) = %+v, %v; want %+v, nil", tt.raw, got, err, tt.want)
			}
		})
	}
}

func TestParseRedirectErrors(t *testing.T) {
	const hint = "paste the whole address from the browser, like http://localhost:8000/callback?user_id=…&state=…"
	tests := []struct {
		name, raw, want string
	}{
		{"empty", "", "not a redirect URL: " + hint},
		{"only quotes", `" "`, "not a redirect URL: " + hint},
		{"not a URL", "the owner said yes", "not a redirect URL: " + hint},
		{"URL without a query", "http://localhost:8000/callback",
			"redirect URL has no query: Connect's answer is in the part after '?'; " + hint},
		{"URL with an empty query", "http://localhost:8000/callback?",
			"redirect URL has no query: Connect's answer is in the part after '?'; " + hint},
		{"empty bare query", "localhost:8000/callback?#x", "redirect has an empty query; " + hint},
		{"malformed URL", "http://[::1/callback?state=s", `redirect is not a valid URL: parse ` +
			`"http://[::1/callback?state=s": missing ']' in host`},
		{"bad escape", "?user_id=u&state=%zz", `malformed redirect query: invalid URL escape "%zz"`},
		{"truncated escape", "user_id=u%4&state=s", `malformed redirect query: invalid URL escape "%4"`},
		{"semicolon separator", "?user_id=u;state=s", "malformed redirect query: invalid semicolon separator in query"},
		{"repeated state", "?user_id=u&state=a&state=b", "redirect has 2 state parameters; which one is meant is ambiguous"},
		{"repeated user even if equal", "?user_id=u&user_id=u&state=s",
			"redirect has 2 user_id parameters; which one is meant is ambiguous"},
		{"raw control character", "?user_id=u&state=s\x1b[2J", "redirect has a control character in it; " + hint},
		{"tab inside", "?user_id=u\t&state=s", "redirect has a control character in it; " + hint},
		{"escaped escape sequence", "?user_id=u&state=s&error_description=%1B%5B2J",
			"redirect parameter error_description has a control character"},
		{"escaped newline", "?user_id=u%0Aforged&state=s", "redirect parameter user_id has a control character"},
		{"escaped C1 control", "?state=s&error=%C2%9B", "redirect parameter error has a control character"},
		{"invalid UTF-8", "?state=%FF", "redirect parameter state is not valid UTF-8"},
		{"http key URL", "?state=s&virtual_key_url=http%3A%2F%2Fwww.tesla.com%2F_ak%2Fsmartcar.com",
			`redirect parameter virtual_key_url "http://www.tesla.com/_ak/smartcar.com" is not an https URL`},
		{"relative key URL", "?state=s&virtual_key_url=www.tesla.com/_ak/smartcar.com",
			`redirect parameter virtual_key_url "www.tesla.com/_ak/smartcar.com" is not an https URL`},
		{"javascript key URL", "?state=s&virtual_key_url=javascript:alert(1)",
			`redirect parameter virtual_key_url "javascript:alert(1)" is not an https URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRedirect(tt.raw)
			if err == nil || err.Error() != tt.want || got != (Redirect{}) {
				t.Errorf("ParseRedirect(%q) = %+v, %v; want zero, %s", tt.raw, got, err, tt.want)
			}
		})
	}
}

// FuzzParseRedirect checks that ParseRedirect never panics, and that what it accepts has no control character in
// any field and only an https virtual_key_url.
func FuzzParseRedirect(f *testing.F) {
	for _, s := range []string{"http://localhost:8000/callback?user_id=u&state=s", "?state=%zz", "a=b#c", `"?x=1"`,
		"?virtual_key_url=https%3A%2F%2Fwww.tesla.com%2F_ak%2Fsmartcar.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := ParseRedirect(raw)
		if err != nil {
			return
		}
		for _, p := range r.params() {
			if strings.ContainsFunc(*p.dst, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("ParseRedirect(%q).%s = %q has a control character", raw, p.name, *p.dst)
			}
		}
		if r.VirtualKeyURL != "" && !strings.HasPrefix(r.VirtualKeyURL, "https://") {
			t.Errorf("ParseRedirect(%q).VirtualKeyURL = %q, want an https URL", raw, r.VirtualKeyURL)
		}
	})
}
