package config

import (
	"fmt"
	"strings"
)

// lineIndex maps the dotted keys of a config file ("vehicle[2].vin", "policy", "state_file") to the 1-based line that
// defines them. The TOML decoder keeps key positions to itself, so indexLines finds them by scanning the text.
type lineIndex map[string]int

// line returns the line of key, or of the nearest enclosing table or entry that the file defines (a missing key is
// reported at its table's header); 0 when none is found.
func (ix lineIndex) line(key string) int {
	for key != "" {
		if n, ok := ix[key]; ok {
			return n
		}
		key = parentKey(key)
	}
	return 0
}

// parentKey strips the last part of a dotted key: "vehicle[2].vin" → "vehicle[2]" → "vehicle" → "".
func parentKey(key string) string {
	if strings.HasSuffix(key, "]") {
		if i := strings.LastIndexByte(key, '['); i >= 0 {
			return key[:i]
		}
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i]
	}
	return ""
}

// indexLines scans a config file that decoded without error and indexes the lines of its keys and tables. It knows
// enough TOML for config files: comments, [table] and [[array]] headers (entries numbered from 0), dotted and quoted
// keys, and multi-line strings, whose lines it skips. Keys inside inline tables resolve to the line of the table.
func indexLines(src string) lineIndex {
	s := lineScanner{ix: lineIndex{}, entries: map[string]int{}}
	for i, line := range strings.Split(src, "\n") {
		s.scan(i+1, line)
	}
	return s.ix
}

// lineScanner is the state of indexLines between lines.
type lineScanner struct {
	ix      lineIndex
	table   string         // path of the current table, "" at the top level
	entries map[string]int // number of [[name]] entries seen, by name
	closer  string         // the delimiter of the multi-line string the scan is inside of, "" when none
}

// scan indexes line n.
func (s *lineScanner) scan(n int, line string) {
	if s.closer != "" {
		if strings.Contains(line, s.closer) {
			s.closer = ""
		}
		return
	}
	t := strings.TrimSpace(line)
	switch {
	case t == "" || t[0] == '#':
	case strings.HasPrefix(t, "[["):
		name := headerKey(t[2:], "]]")
		s.table = fmt.Sprintf("%s[%d]", name, s.entries[name])
		s.entries[name]++
		s.add(s.table, n)
	case t[0] == '[':
		s.table = s.subTable(headerKey(t[1:], "]"))
		s.add(s.table, n)
	default:
		s.keyValue(n, t)
	}
}

// subTable resolves a [table] header whose first part names an array of tables to that array's last entry, as TOML
// does: [vehicle.extra] after [[vehicle]] is vehicle[N].extra.
func (s *lineScanner) subTable(name string) string {
	first, rest, dotted := strings.Cut(name, ".")
	if n := s.entries[first]; n > 0 && dotted {
		return fmt.Sprintf("%s[%d].%s", first, n-1, rest)
	}
	return name
}

// keyValue indexes a key = value line, and notes a multi-line string that the value opens.
func (s *lineScanner) keyValue(n int, t string) {
	k, value, ok := strings.Cut(t, "=")
	if !ok {
		return
	}
	key := normalKey(k)
	if s.table != "" {
		key = s.table + "." + key
	}
	s.add(key, n)
	for _, delim := range []string{`"""`, `'''`} {
		if strings.Count(value, delim)%2 == 1 {
			s.closer = delim
			return
		}
	}
}

// add records that line n defines key, unless an earlier line does.
func (s *lineScanner) add(key string, n int) {
	if _, ok := s.ix[key]; !ok {
		s.ix[key] = n
	}
}

// headerKey returns the normalised key of a table header, given the text after its opening bracket(s).
func headerKey(t, closer string) string {
	if i := strings.Index(t, closer); i >= 0 {
		t = t[:i]
	}
	return normalKey(t)
}

// normalKey writes a TOML key the way the checker names it: dotted parts trimmed and unquoted.
func normalKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}
