package config

import (
	"fleetkey/fleet/connect"
	"fmt"
	"slices"
	"strconv"
)

// defaultConnect returns the [connect] table of a config that does not set any of its keys: the client id
// and mode of sc, and the defaults above.
func defaultConnect(sc Smartcar) connect.Config {
	return connect.Config{
		ClientID: sc.ClientID, RedirectURI: connect.DefaultRedirectURI, Base: connect.DefaultBase, Mode: sc.Mode,
		Scopes: connect.DefaultScopes(), Timeout: connect.DefaultTimeout,
	}
}

// connectKeys are the valid keys of [connect].
var connectKeys = []string{"client_id", "redirect_uri", "scopes", "tesla_only", "connect_base", "timeout"}

// connect checks [connect]; every key is optional, and sc gives the client id and mode it falls back to.
func (c *checker) connect(v any, sc Smartcar) connect.Config {
	cc := defaultConnect(sc)
	t, ok := c.table("connect", v)
	if !ok {
		return cc
	}
	c.unknownKeys(t, connectKeys)
	if s, ok := c.text(t, "client_id", false); ok {
		cc.ClientID = s
	}
	if s, ok := c.redirectURI(t); ok {
		cc.RedirectURI = s
	}
	if s, ok := c.endpoint(t, "connect_base", connect.DefaultBase); ok {
		cc.Base = s
	}
	if scopes, ok := c.scopes(t); ok {
		cc.Scopes = scopes
	}
	cc.TeslaOnly = c.boolean(t, "tesla_only")
	c.duration(t, "timeout", &cc.Timeout)
	return cc
}

// redirectURI checks connect.redirect_uri: an absolute http(s) URL without query or fragment, where plain http is
// allowed only on a loopback host, which is where the callback listener binds.
func (c *checker) redirectURI(t table) (string, bool) {
	const k = "redirect_uri"
	s, ok := c.str(t, k, false)
	if !ok {
		return "", false
	}
	u, fault := checkURL(s)
	switch {
	case fault == urlCredentials:
		c.addf(t.key(k), credentialsMessage)
	case fault == urlNotAbsolute:
		c.addf(t.key(k), "%q is not an absolute http(s) URL (like %s)", s, connect.DefaultRedirectURI)
	case fault == urlHTTPRemote:
		c.addf(t.key(k), "%q uses http on a host that is not loopback; the callback listener binds only 127.0.0.1, "+
			"localhost or [::1] (forward the port with ssh -L from an ops box), or use an https URL", s)
	case fault == urlQueryOrFrag:
		c.addf(t.key(k), "%q has a query or fragment; Connect adds its own query, want a plain URL like %s",
			s, connect.DefaultRedirectURI)
	case !validPort(u.Port()):
		c.addf(t.key(k), "%q has port %q; want 1..65535, the fixed port the browser is sent back to", s, u.Port())
	default:
		return s, true
	}
	return "", false
}

// validPort reports whether p is "" (the scheme's port) or a port number from 1 to 65535.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// scopes checks connect.scopes: an array of permission names (lower-case letters and '_'), each listed once. An
// empty array is valid: Connect then asks for the defaults set in the Smartcar Dashboard.
func (c *checker) scopes(t table) ([]string, bool) {
	raw, present := t.m["scopes"]
	if !present {
		return nil, false
	}
	list, ok := raw.([]any)
	if !ok {
		c.addf(t.key("scopes"), `want an array of permissions like ["read_vin", "read_battery"], got %s`, describe(raw))
		return nil, false
	}
	scopes, valid := []string{}, true
	for i, e := range list {
		key := fmt.Sprintf("%s[%d]", t.key("scopes"), i)
		s, ok := e.(string)
		switch {
		case !ok:
			c.addf(key, "want a permission name, got %s", describe(e))
		case !isScope(s):
			c.addf(key, "%q is not a permission name; want lower-case letters and '_', like read_battery", s)
		case slices.Contains(scopes, s):
			c.addf(key, "%q is listed twice", s)
		default:
			scopes = append(scopes, s)
			continue
		}
		valid = false
	}
	return scopes, valid
}

// isScope reports whether s matches ^[a-z_]+$.
func isScope(s string) bool {
	for _, r := range s {
		if r != '_' && (r < 'a' || r > 'z') {
			return false
		}
	}
	return s != ""
}
