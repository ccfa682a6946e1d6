package fakeserver

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Failure is an error answer in v3's JSON:API form: an injected one, or one of the fake's own. Zero fields take the
// defaults of the documented error table: Status from Type (VALIDATION 400, AUTHENTICATION 401, PERMISSION 403,
// RESOURCE_NOT_FOUND 404, VEHICLE_STATE 409, RATE_LIMIT 429, BILLING 430, SERVER 500, COMPATIBILITY 501, UPSTREAM 502,
// CONNECTED_SERVICES_ACCOUNT 400), the resolution from Type and Code, Detail from both. An empty Code is sent as null.
// RetryAfter, when positive, is sent as a Retry-After header in whole seconds (rounded up).
type Failure struct {
	Status                        int
	Type, Code, Detail            string
	RetryAfter                    time.Duration
	ResolutionType, ResolutionURL string
}

// VirtualKeyURL is the key URL of Smartcar's Free and Build plans, the resolution of VIRTUAL_KEY_REQUIRED.
const VirtualKeyURL = "https://www.tesla.com/_ak/smartcar.com"

var statusOfType = map[string]int{
	"CONNECTED_SERVICES_ACCOUNT": 400, "VALIDATION": 400, "AUTHENTICATION": 401, "PERMISSION": 403,
	"RESOURCE_NOT_FOUND": 404, "VEHICLE_STATE": 409, "RATE_LIMIT": 429, "BILLING": 430, "SERVER": 500,
	"COMPATIBILITY": 501, "UPSTREAM": 502,
}

// obj is a JSON object under construction.
type obj = map[string]any

// withDefaults fills the zero fields of f.
func (f Failure) withDefaults() Failure {
	if f.Status == 0 {
		f.Status = statusOfType[f.Type]
	}
	if f.Status == 0 {
		f.Status = http.StatusInternalServerError
	}
	if f.Detail == "" {
		f.Detail = fmt.Sprintf("The fake Smartcar API answered %s:%s.", f.Type, f.Code)
	}
	if f.ResolutionType == "" {
		f.ResolutionType = defaultResolution(f.Type, f.Code)
		if f.ResolutionType == "ACTION_REQUIRED" && f.ResolutionURL == "" {
			f.ResolutionURL = VirtualKeyURL
		}
	}
	return f
}

func defaultResolution(typ, code string) string {
	switch {
	case code == "VIRTUAL_KEY_REQUIRED":
		return "ACTION_REQUIRED"
	case typ == "RATE_LIMIT", typ == "SERVER", typ == "UPSTREAM":
		return "RETRY_LATER"
	case typ == "BILLING":
		return "CONTACT_SUPPORT"
	case typ == "AUTHENTICATION", typ == "PERMISSION":
		return "REAUTHENTICATE"
	}
	return "" // VEHICLE_STATE:ASLEEP and VALIDATION have a null resolution
}

// resolution is the JSON of a resolution; nil when there is none.
func (f Failure) resolution() any {
	if f.ResolutionType == "" {
		return nil
	}
	r := obj{"type": f.ResolutionType}
	if f.ResolutionURL != "" {
		r["url"] = f.ResolutionURL
	}
	return r
}

// nullable is s, or JSON null when s is empty.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// errorObject is one item of an errors[] body.
func (f Failure) errorObject() obj {
	title := http.StatusText(f.Status)
	if title == "" {
		title = "Error"
	}
	about := "https://smartcar.com/docs/errors/api-errors/v3/" + kebab(f.Type) + "-errors"
	if f.Code != "" {
		about += "#" + kebab(f.Code)
	}
	return obj{
		"status": strconv.Itoa(f.Status), "type": f.Type, "code": nullable(f.Code), "title": title,
		"detail": f.Detail, "links": obj{"about": about}, "resolution": f.resolution(),
		"suggestedUserMessage": "Your car is temporarily unable to connect to this app.",
	}
}

func kebab(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }

// writeFailure answers with f as a JSON:API error body.
func writeFailure(w http.ResponseWriter, f Failure) {
	f = f.withDefaults()
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
	}
	writeJSON(w, f.Status, obj{"errors": []obj{f.errorObject()}})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The client may be gone (a crash test kills it); there is nobody to tell.
	_ = json.NewEncoder(w).Encode(v)
}

// newUUID returns a random version-4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return formatUUID(b)
}

// uuidFrom returns a UUID-shaped id derived from s, so ids are stable across runs.
func uuidFrom(s string) string {
	sum := sha256.Sum256([]byte(s))
	var b [16]byte
	copy(b[:], sum[:16])
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
