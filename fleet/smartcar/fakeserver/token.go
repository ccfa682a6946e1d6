package fakeserver

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxTokenBody bounds what the token endpoint reads of a request body.
const maxTokenBody = 64 << 10

// tokenRequest is what a client sent to the token endpoint, whichever form it used.
type tokenRequest struct {
	grantType, clientID, secret string
	basic                       bool // the credentials came as HTTP Basic
}

// serveToken is POST /oauth2/token: the client-credentials grant, as a form, as JSON, or with HTTP Basic
// credentials (client_secret_basic) and grant_type in the body. Errors are OAuth-style, not JSON:API.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts.tokenRequests++
	s.mu.Unlock()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
		return
	}
	req, err := parseTokenRequest(w, r)
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if !s.validClient(req) {
		if req.basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="smartcar"`)
		}
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	token := s.issueToken(req.clientID)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, obj{
		"access_token": token, "token_type": "Bearer", "expires_in": int64(s.opts.TokenTTL.Seconds()),
	})
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, obj{"error": code, "error_description": description})
}

// parseTokenRequest reads the grant from the body and the credentials from the body or from HTTP Basic.
func parseTokenRequest(w http.ResponseWriter, r *http.Request) (tokenRequest, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenBody)
	fields, err := tokenFields(r)
	if err != nil {
		return tokenRequest{}, err
	}
	req := tokenRequest{grantType: fields["grant_type"], clientID: fields["client_id"], secret: fields["client_secret"]}
	if id, secret, ok := r.BasicAuth(); ok {
		if req.secret != "" {
			return tokenRequest{}, errors.New("more than one client authentication method")
		}
		req.clientID, req.secret, req.basic = id, secret, true
	}
	switch {
	case req.grantType == "":
		return tokenRequest{}, errors.New("missing grant_type")
	case req.grantType != "client_credentials":
		return tokenRequest{}, fmt.Errorf("unsupported grant_type %q", req.grantType)
	case req.clientID == "" || req.secret == "":
		return tokenRequest{}, errors.New("missing client_id or client_secret")
	}
	return req, nil
}

// tokenFields decodes a form or JSON body into its string fields. An empty body has no fields.
func tokenFields(r *http.Request) (map[string]string, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return map[string]string{}, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, fmt.Errorf("content type %q: %w", ct, err)
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("form body: %w", err)
		}
		fields := map[string]string{}
		for k := range r.PostForm {
			fields[k] = r.PostForm.Get(k)
		}
		return fields, nil
	case "application/json":
		var fields map[string]string
		if err := json.NewDecoder(r.Body).Decode(&fields); err != nil {
			return nil, fmt.Errorf("json body: %w", err)
		}
		return fields, nil
	}
	return nil, fmt.Errorf("unsupported content type %q", mt)
}

// validClient checks the credentials. Basic credentials are accepted as sent and also form-decoded, as RFC 6749
// §2.3.1 asks clients to encode them and not every client does.
func (s *Server) validClient(req tokenRequest) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.knownClient(req.clientID, req.secret) {
		return true
	}
	id, errID := url.QueryUnescape(req.clientID)
	secret, errSecret := url.QueryUnescape(req.secret)
	return req.basic && errID == nil && errSecret == nil && s.knownClient(id, secret)
}

func (s *Server) knownClient(id, secret string) bool {
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.ClientID)) != 1 {
		return false
	}
	ok := false
	for _, valid := range s.secrets {
		if subtle.ConstantTimeCompare([]byte(secret), []byte(valid)) == 1 {
			ok = true
		}
	}
	return ok
}

// issueToken returns a new JWT-shaped bearer token valid for TokenTTL from now.
func (s *Server) issueToken(clientID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Clock()
	exp := now.Add(s.opts.TokenTTL)
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(obj{"sub": clientID, "iat": now.Unix(), "exp": exp.Unix(), "jti": newUUID()})
	token := header + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString([]byte(newUUID()))
	s.tokens[token] = exp
	return token
}

// admit checks the bearer token and takes one request from the app-wide bucket; otherwise it answers 401 or 429.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) bool {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	s.mu.Lock()
	now := s.opts.Clock()
	exp, known := s.tokens[token]
	authed := strings.EqualFold(scheme, "Bearer") && known && now.Before(exp)
	ok, wait := false, time.Duration(0)
	if authed {
		ok, wait = s.bucket.take(now)
		if !ok {
			s.counts.bucketRejections++
		}
	}
	s.mu.Unlock()
	switch {
	case !authed:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeFailure(w, Failure{Type: "AUTHENTICATION", Detail: "The access token is missing, invalid or expired."})
	case !ok:
		writeFailure(w, Failure{Type: "RATE_LIMIT", Code: "SMARTCAR_API", RetryAfter: wait,
			Detail: "The application has exceeded its request rate limit. Please retry later."})
	}
	return ok
}
