package config

import (
	"fleetkey/fleet/schedule"
	"math"
	"net/url"
	"slices"
	"strings"
)

// Source is where the fleet comes from: the [fleet] source of the config.
type Source string

// The sources of a fleet.
const (
	// SourceConfig: the fleet is the [[vehicle]] entries of the config file (the default, and the demo).
	SourceConfig Source = "config"
	// SourceSmartcar: the fleet is every vehicle connected to the Smartcar application; [[vehicle]] entries overlay them.
	SourceSmartcar Source = "smartcar"
)

// The defaults of the [smartcar] table.
const (
	DefaultAPIBase  = "https://vehicle.api.smartcar.com/v3"
	DefaultTokenURL = "https://iam.smartcar.com/oauth2/token"
)

// Smartcar is the [smartcar] table: the application credential and the API it talks to. The client secret is
// never in the config: ClientSecretEnv names the environment variable that holds it. Parse does not read the
// environment; whoever connects does.
type Smartcar struct {
	// ClientID is the application's client id ("client_…") from the Smartcar Dashboard.
	ClientID string
	// ClientSecretEnv is the name of the environment variable that holds the client secret.
	ClientSecretEnv string
	// APIBase is the base URL of the vehicle API, without a trailing '/'; TokenURL the OAuth token endpoint.
	APIBase, TokenURL string
	// Mode is which connections to list: "live", "test" or "simulated".
	Mode string
	// UnitSystem is the unit system asked of the API: "metric" or "imperial".
	UnitSystem string
	// BucketSize is the size of the application-wide request bucket, at least 1.
	BucketSize int
	// RefillPerMinute is how many requests the bucket regains per minute, more than 0.
	RefillPerMinute float64
}

// defaultSmartcar returns the [smartcar] table of a config that does not set any of its keys.
func defaultSmartcar() Smartcar {
	return Smartcar{
		APIBase: DefaultAPIBase, TokenURL: DefaultTokenURL, Mode: "live", UnitSystem: "metric",
		BucketSize: schedule.DefaultBucketSize, RefillPerMinute: schedule.DefaultRefillPerMinute,
	}
}

// fleetKeys and smartcarKeys are the valid keys of [fleet] and [smartcar].
var (
	fleetKeys    = []string{"source"}
	smartcarKeys = []string{
		"client_id", "client_secret_env", "api_base", "token_url", "mode", "unit_system", "bucket_size",
		"bucket_refill_per_minute",
	}
)

// The valid values of smartcar.mode and smartcar.unit_system, in the order messages name them.
var (
	modes       = []string{"live", "test", "simulated"}
	unitSystems = []string{"metric", "imperial"}
)

// source checks [fleet]; the source defaults to SourceConfig, which an invalid one also falls back to.
func (c *checker) source(v any) Source {
	t, ok := c.table("fleet", v)
	if !ok {
		return SourceConfig
	}
	c.unknownKeys(t, fleetKeys)
	s, ok := c.str(t, "source", false)
	switch {
	case !ok:
		return SourceConfig
	case Source(s) == SourceConfig || Source(s) == SourceSmartcar:
		return Source(s)
	}
	c.addf(t.key("source"), `%q is not a source; want "config" (the [[vehicle]] entries) or "smartcar" `+
		"(the vehicles connected to your Smartcar application)", s)
	return SourceConfig
}

// smartcar checks [smartcar], whatever the source: its keys are allowed, unused, with source "config", so that
// switching sources is one line. Source "smartcar" requires the credential keys.
func (c *checker) smartcar(v any, src Source) Smartcar {
	sc := defaultSmartcar()
	t, ok := c.table("smartcar", v)
	if ok {
		c.unknownKeys(t, smartcarKeys)
		sc.ClientID, _ = c.text(t, "client_id", false)
		sc.ClientSecretEnv = c.envName(t, "client_secret_env")
		if s, ok := c.endpoint(t, "api_base", DefaultAPIBase); ok {
			sc.APIBase = strings.TrimRight(s, "/")
		}
		if s, ok := c.endpoint(t, "token_url", DefaultTokenURL); ok {
			sc.TokenURL = s
		}
		c.oneOf(t, "mode", "mode", modes, &sc.Mode)
		c.oneOf(t, "unit_system", "unit system", unitSystems, &sc.UnitSystem)
		c.bucketSize(t, &sc.BucketSize)
		c.refill(t, &sc.RefillPerMinute)
	}
	if src == SourceSmartcar {
		c.credentialRequired(t, "client_id", "the client id (client_…) from the API Credentials tab of the Smartcar Dashboard")
		c.credentialRequired(t, "client_secret_env", "the name of the environment variable that holds the client secret, "+
			`e.g. "SMARTCAR_CLIENT_SECRET"`)
	}
	return sc
}

// credentialRequired reports smartcar.k missing with source "smartcar": at the [smartcar] header, or at the source's
// line when the file has no [smartcar] table.
func (c *checker) credentialRequired(t table, k, what string) {
	if t.has(k) {
		return
	}
	key := "smartcar." + k
	line := c.line(key)
	if line == 0 {
		line = c.line("fleet.source")
	}
	c.addAt(line, key, `required when source = "smartcar": %s`, what)
}

// envName checks that k names an environment variable ([A-Za-z_][A-Za-z0-9_]*). The value is never quoted in a
// message: a secret pasted here by mistake must not end up on a screen or in a log.
func (c *checker) envName(t table, k string) string {
	v, present := t.m[k]
	if !present {
		return ""
	}
	s, ok := v.(string)
	if !ok || !isEnvName(s) {
		c.addf(t.key(k), "is not an environment variable name (letters, digits and '_', not starting with a digit); "+
			`name the variable that holds the secret, e.g. "SMARTCAR_CLIENT_SECRET": the secret itself must not be in a file`)
		return ""
	}
	return s
}

// isEnvName reports whether s is a portable environment variable name.
func isEnvName(s string) bool {
	for i, r := range s {
		letter := r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return s != ""
}

// urlFault is what is wrong with a URL setting, by the rules every URL in the config follows.
type urlFault int

const (
	urlOK          urlFault = iota
	urlCredentials          // user:password@ in it
	urlNotAbsolute          // not an absolute http(s) URL
	urlHTTPRemote           // plain http on a host that is not loopback
	urlQueryOrFrag          // a query or fragment, even an empty one
)

// checkURL parses s and finds the first fault of it; u is the parsed URL when the fault is urlOK.
func checkURL(s string) (u *url.URL, fault urlFault) {
	u, err := url.Parse(s)
	switch {
	case err == nil && u.User != nil:
		return nil, urlCredentials
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "":
		return nil, urlNotAbsolute
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return nil, urlHTTPRemote
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || u.RawFragment != "" || strings.HasSuffix(s, "#"):
		return nil, urlQueryOrFrag
	}
	return u, urlOK
}

// credentialsMessage is said of any URL setting with user:password@ in it; the value is never repeated.
const credentialsMessage = "has credentials in it (user:password@); they must not be in a file"

// endpoint checks that k is an absolute https URL without a query; plain http is allowed only on a loopback host,
// for tests against a local server. example is shown in messages.
func (c *checker) endpoint(t table, k, example string) (string, bool) {
	s, ok := c.str(t, k, false)
	if !ok {
		return "", false
	}
	switch _, fault := checkURL(s); fault {
	case urlCredentials:
		c.addf(t.key(k), credentialsMessage)
	case urlNotAbsolute:
		c.addf(t.key(k), "%q is not an absolute https URL (like %s)", s, example)
	case urlHTTPRemote:
		c.addf(t.key(k), "%q uses http, which is allowed only on a loopback host (127.0.0.1, localhost or [::1]) for "+
			"tests; use https", s)
	case urlQueryOrFrag:
		c.addf(t.key(k), "%q has a query or fragment; want a plain URL like %s", s, example)
	default:
		return s, true
	}
	return "", false
}

// isLoopback reports whether host is one of the loopback names that plain http is allowed on.
func isLoopback(host string) bool {
	return host == "127.0.0.1" || host == "localhost" || host == "::1"
}

// oneOf sets *dst to the string value of k when it is one of valid; noun names the value in messages.
func (c *checker) oneOf(t table, k, noun string, valid []string, dst *string) {
	s, ok := c.str(t, k, false)
	if !ok {
		return
	}
	if !slices.Contains(valid, s) {
		c.addf(t.key(k), "%q is not a %s; want one of %s", s, noun, strings.Join(valid, ", "))
		return
	}
	*dst = s
}

// bucketSize sets *n from smartcar.bucket_size when it is given and at least 1.
func (c *checker) bucketSize(t table, n *int) {
	v, ok := c.integer(t, "bucket_size", false)
	switch {
	case !ok:
	case v < 1 || v > math.MaxInt32:
		c.addf(t.key("bucket_size"), "%d is outside 1..%d", v, math.MaxInt32)
	default:
		*n = int(v)
	}
}

// refill sets *f from smartcar.bucket_refill_per_minute when it is a positive, finite number (integer or float).
func (c *checker) refill(t table, f *float64) {
	const k = "bucket_refill_per_minute"
	var n float64
	switch v := t.m[k].(type) {
	case nil:
		return
	case int64:
		n = float64(v)
	case float64:
		n = v
	default:
		c.addf(t.key(k), "want a number of requests per minute, like 2 or 0.5, got %s", describe(v))
		return
	}
	if !(n > 0) || math.IsInf(n, 0) {
		c.addf(t.key(k), "must be a positive number of requests per minute, got %s", describe(t.m[k]))
		return
	}
	*f = n
}
