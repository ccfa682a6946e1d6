package connect

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redirect is what Smartcar Connect sends back in the query of the redirect URL. Every field is "" when its
// parameter is absent.
type Redirect struct {
	UserID           string // user_id: the Smartcar user, the sc-user-id of the API calls for their vehicles
	State            string // state: must be the flow's own
	Code             string // code: the authorization code; v3 does not need it exchanged
	VirtualKeyURL    string // virtual_key_url: the Tesla virtual key URL to show the owner, an https URL
	ExternalID       string // external_id: the application's own id for the owner, when the URL gave one
	Error            string // error: e.g. "access_denied", "vehicle_incompatible"
	ErrorDescription string // error_description: Connect's explanation of Error
}

// params lists the parameters of a Redirect, each with a pointer to its field.
func (r *Redirect) params() []struct {
	name string
	dst  *string
} {
	return []struct {
		name string
		dst  *string
	}{
		{"user_id", &r.UserID}, {"state", &r.State}, {"code", &r.Code}, {"virtual_key_url", &r.VirtualKeyURL},
		{"external_id", &r.ExternalID}, {"error", &r.Error}, {"error_description", &r.ErrorDescription},
	}
}

// pasteHint says what ParseRedirect wants, for its error messages.
const pasteHint = "paste the whole address from the browser, like http://localhost:8000/callback?user_id=…&state=…"

// ParseRedirect parses a Connect redirect as an operator pastes it: the whole URL from the browser's address bar
// (with or without its scheme), a bare "?query" or "query", with surrounding spaces or quotes. Parameters other than
// those of Redirect are ignored; one of those given twice is an error, as are bad % escapes, a control character
// or invalid UTF-8 anywhere, and a virtual_key_url that is not an https URL. It checks the form only: Accept checks
// the content.
func ParseRedirect(raw string) (Redirect, error) {
	s := trimPaste(raw)
	if strings.ContainsFunc(s, unicode.IsControl) {
		return Redirect{}, errors.New("redirect has a control character in it; " + pasteHint)
	}
	query, err := redirectQuery(s)
	if err != nil {
		return Redirect{}, err
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return Redirect{}, fmt.Errorf("malformed redirect query: %w", err)
	}
	var r Redirect
	for _, p := range r.params() {
		vs := values[p.name]
		switch {
		case len(vs) > 1:
			return Redirect{}, fmt.Errorf("redirect has %d %s parameters; which one is meant is ambiguous", len(vs), p.name)
		case len(vs) == 0:
			continue
		case !utf8.ValidString(vs[0]):
			return Redirect{}, fmt.Errorf("redirect parameter %s is not valid UTF-8", p.name)
		case strings.ContainsFunc(vs[0], unicode.IsControl):
			return Redirect{}, fmt.Errorf("redirect parameter %s has a control character", p.name)
		}
		*p.dst = vs[0]
	}
	if r.VirtualKeyURL != "" && !isHTTPSURL(r.VirtualKeyURL) {
		return Redirect{}, fmt.Errorf("redirect parameter virtual_key_url %q is not an https URL", r.VirtualKeyURL)
	}
	return r, nil
}

// trimPaste strips the spaces and one pair of matching quotes (", ' or `) around a pasted text.
func trimPaste(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && strings.ContainsRune(`"'`+"`", rune(s[0])) && s[len(s)-1] == s[0] {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// redirectQuery finds the query in a pasted redirect: the query of an http(s) URL; the text after the '?' of a URL
// whose scheme the browser hid ("localhost:8000/callback?…") or of a bare "?query"; or the whole text when it is a
// bare query. A fragment is dropped.
func redirectQuery(s string) (string, error) {
	lower := strings.ToLower(s)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", fmt.Errorf("redirect is not a valid URL: %w", err)
		}
		if u.RawQuery == "" {
			return "", errors.New("redirect URL has no query: Connect's answer is in the part after '?'; " + pasteHint)
		}
		return u.RawQuery, nil
	}
	s, _, _ = strings.Cut(s, "#")
	if before, after, ok := strings.Cut(s, "?"); ok && !strings.ContainsAny(before, "=&") {
		s = after
	} else if !strings.Contains(s, "=") {
		return "", errors.New("not a redirect URL: " + pasteHint)
	}
	if strings.TrimSpace(s) == "" {
		return "", errors.New("redirect has an empty query; " + pasteHint)
	}
	return s, nil
}

// isHTTPSURL reports whether s is an absolute https URL with a host.
func isHTTPSURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}
