// Package smartcar is a small client of Smartcar's v3 vehicle API on net/http: the application token (client-credentials
// grant), the list of connected vehicles (GET /connections) and one vehicle's signals (GET /vehicles/{id}/signals).
//
// It decides how requests are authenticated, paged and bounded, and how error bodies become typed errors. It knows
// nothing of read budgets: deciding when a vehicle may be read is the caller's job (package fleet). It logs nothing, and
// no error it returns contains the client secret or a bearer token.
package smartcar

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultAPIBase        = "https://vehicle.api.smartcar.com/v3"
	DefaultTokenURL       = "https://iam.smartcar.com/oauth2/token"
	DefaultMaxBody        = 1 << 20 // 1 MiB
	DefaultTimeout        = 30 * time.Second
	DefaultMaxSignalPages = 5
)

// Unit systems for Config.UnitSystem, sent as the SC-Unit-System header.
const (
	Metric   = "metric"
	Imperial = "imperial"
)

// Config configures a Client. Zero fields take the defaults named on each.
type Config struct {
	ClientID string
	// ClientSecret is read from the environment variable named in the config file; it is never logged and never
	// appears in an error.
	ClientSecret string
	APIBase      string           // default DefaultAPIBase
	TokenURL     string           // default DefaultTokenURL
	UnitSystem   string           // Metric (default) or Imperial
	HTTP         *http.Client     // default: a client with DefaultTimeout; its redirect policy is replaced by none
	Now          func() time.Time // clock for token expiry and Retry-After dates; default time.Now
	MaxBody      int64            // largest response body read, default DefaultMaxBody; a larger one is an error
	// MaxSignalPages bounds the requests one Signals call makes when the answer is paged (default
	// DefaultMaxSignalPages; 1 never follows links.next). Every page is one more request to the vehicle's endpoint.
	MaxSignalPages int
}

// Client is a Smartcar v3 client. It is safe for concurrent use; all callers share one application token, which
// is renewed 5 minutes before it expires (at half-life when it lives 10 minutes or less) by one request at a time.
// A 401 answer drops the token. A listing is then sent once more with a new one (a second 401 is an error matching
// ErrAuthentication that says the credential is refused); a read is not (see Signals). It never follows a redirect:
// a 3xx answer is an error matching ErrRedirect.
type Client struct {
	cfg  Config
	base *url.URL // APIBase, without a trailing slash
	tok  tokenState
}

// New returns a client for cfg, or an error naming every setting that is missing or invalid.
func New(cfg Config) (*Client, error) {
	cfg = withDefaults(cfg)
	base, err := validate(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, base: base}, nil
}

// withDefaults fills the zero fields of cfg.
func withDefaults(cfg Config) Config {
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.UnitSystem == "" {
		cfg.UnitSystem = Metric
	}
	hc := http.Client{Timeout: DefaultTimeout}
	if cfg.HTTP != nil {
		hc = *cfg.HTTP // a copy: the caller's client keeps its own redirect policy
	}
	hc.CheckRedirect = noRedirects
	cfg.HTTP = &hc
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxSignalPages <= 0 {
		cfg.MaxSignalPages = DefaultMaxSignalPages
	}
	return cfg
}

// noRedirects makes the client return a 3xx as the answer: following one could send the client secret or the bearer
// token to another host, store a foreign answer as a read, or turn one read into many.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// validate checks cfg (with defaults applied) and returns the parsed API base.
func validate(cfg Config) (*url.URL, error) {
	var errs []error
	if strings.TrimSpace(cfg.ClientID) == "" {
		errs = append(errs, errors.New("smartcar client_id is empty"))
	}
	if cfg.ClientSecret == "" {
		errs = append(errs, errors.New("smartcar client secret is empty: "+
			"set the environment variable that [smartcar] client_secret_env names"))
	}
	base, err := absoluteURL("api_base", cfg.APIBase)
	errs = append(errs, err)
	_, err = absoluteURL("token_url", cfg.TokenURL)
	errs = append(errs, err)
	if cfg.UnitSystem != Metric && cfg.UnitSystem != Imperial {
		errs = append(errs, fmt.Errorf("smartcar unit_system %q is not %q or %q", cfg.UnitSystem, Metric, Imperial))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	return base, nil
}

// absoluteURL parses s, the value of the setting key, as an absolute http(s) URL without query or fragment.
func absoluteURL(key, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		// The parse error would repeat s, which could hold credentials; say only what is wrong.
		return nil, fmt.Errorf("smartcar %s is not a valid URL", key)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("smartcar %s %q is not an absolute http(s) URL", key, u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("smartcar %s %q must not have a query or fragment", key, u.Redacted())
	}
	return u, nil
}

// endpoint returns the URL of the path segments segs (each escaped on its own, so an id cannot add segments) under
// the API base, with query q.
func (c *Client) endpoint(q string, segs ...string) string {
	u := *c.base
	u.RawPath = c.base.EscapedPath()
	for _, s := range segs {
		u.Path += "/" + s
		u.RawPath += "/" + url.PathEscape(s)
	}
	u.RawQuery = q
	return u.String()
}
