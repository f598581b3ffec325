package engine

import (
	"database/sql/driver"
	"fmt"
	"net/netip"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// Identities: the forms in which Windows, Sysmon and Zeek write users and computers,
// reduced to one name each so that the same account or computer is one artifact
// whichever source saw it. Source definitions call these as DuckDB functions
// (lanlq_user, lanlq_host); the raw record keeps what the source wrote.

// NormalizeUser returns an account as user@DOMAIN from the forms sources write:
// DOMAIN\user, a UPN (user@dns.domain), or a bare name with its domain given apart
// (domain may be ""). The domain is the first label of a DNS domain, upper case
// (theshire.local → THESHIRE, the NetBIOS name in every lab and most networks); an
// account name is lower case (Windows compares them case-blind) except a machine
// account NAME$, upper case as computer names are. A missing domain is "?" (LANL's
// mark for unknown). "" and "-" (Windows' "no account") give "" and false.
func NormalizeUser(name, domain string) (string, bool) {
	name = strings.TrimSpace(name)
	if d, u, ok := strings.Cut(name, `\`); ok {
		domain, name = d, u
	} else if i := strings.LastIndexByte(name, '@'); i > 0 {
		name, domain = name[:i], name[i+1:]
	}
	name = strings.TrimSpace(name)
	if name == "" || name == "-" {
		return "", false
	}
	domain = strings.TrimSpace(domain)
	if domain == "-" || domain == "" {
		domain = "?"
	} else {
		domain, _, _ = strings.Cut(domain, ".")
		domain = strings.ToUpper(domain)
	}
	if strings.HasSuffix(name, "$") {
		name = strings.ToUpper(name)
	} else {
		name = strings.ToLower(name)
	}
	return name + "@" + domain, true
}

// internalSuffixes are DNS suffixes of private networks: a name under one is a
// computer of the organisation and is written as its host name (first label, upper
// case), the way Windows writes workstation names and machine accounts. Names outside
// (www.example.com) stay whole, lower case.
var internalSuffixes = []string{".local", ".lan", ".internal", ".localdomain", ".home.arpa", ".corp", ".intranet", ".private"}

// NormalizeHost returns a computer as lanlq names it: an address in its canonical
// text (IPv4 dotted; IPv6 compressed lower case per RFC 5952, IPv4-mapped IPv6 as
// IPv4, brackets and zones dropped), a single-label or internal name as its first
// label upper case (WORKSTATION6.theshire.local → WORKSTATION6; a machine account's
// $ dropped), any other name lower case and whole (www.example.com, and DNS service
// names such as _ldap._tcp.dc._msdcs.theshire.local). "" and "-" give "" and false.
func NormalizeHost(text string) (string, bool) {
	text = strings.TrimSpace(text)
	text = strings.TrimSuffix(strings.TrimPrefix(text, "["), "]")
	if text == "" || text == "-" {
		return "", false
	}
	addrText, _, _ := strings.Cut(text, "%") // fe80::1%eth0: the zone is the sender's interface
	if a, err := netip.ParseAddr(addrText); err == nil {
		return a.Unmap().String(), true
	}
	name := strings.TrimSuffix(strings.TrimSuffix(text, "."), "$")
	lower := strings.ToLower(name)
	if strings.HasPrefix(name, "_") {
		return lower, true // a service name (_ldap._tcp.dc._msdcs.…), not a computer
	}
	if !strings.Contains(lower, ".") {
		return strings.ToUpper(name), true
	}
	for _, s := range internalSuffixes {
		if strings.HasSuffix(lower, s) {
			first, _, _ := strings.Cut(name, ".")
			return strings.ToUpper(first), true
		}
	}
	return lower, true
}

// registerIdentityFuncs registers lanlq_user(name, domain) and lanlq_host(text) on
// the session's connection.
func registerIdentityFuncs(s *Session) error {
	varchar, err := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	if err != nil {
		return err
	}
	str := func(v driver.Value) string {
		if v == nil {
			return ""
		}
		if s, ok := v.(string); ok {
			return s
		}
		return fmt.Sprint(v)
	}
	user := identityFunc{cfg: duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{varchar, varchar}, ResultTypeInfo: varchar, SpecialNullHandling: true},
		fn: func(v []driver.Value) (any, error) {
			if u, ok := NormalizeUser(str(v[0]), str(v[1])); ok {
				return u, nil
			}
			return nil, nil
		}}
	host := identityFunc{cfg: duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{varchar}, ResultTypeInfo: varchar},
		fn: func(v []driver.Value) (any, error) {
			if h, ok := NormalizeHost(str(v[0])); ok {
				return h, nil
			}
			return nil, nil
		}}
	if err := duckdb.RegisterScalarUDF(s.conn, "lanlq_user", user); err != nil {
		return fmt.Errorf("engine: register lanlq_user: %w", err)
	}
	if err := duckdb.RegisterScalarUDF(s.conn, "lanlq_host", host); err != nil {
		return fmt.Errorf("engine: register lanlq_host: %w", err)
	}
	return nil
}

type identityFunc struct {
	cfg duckdb.ScalarFuncConfig
	fn  duckdb.RowExecutorFn
}

func (f identityFunc) Config() duckdb.ScalarFuncConfig { return f.cfg }
func (f identityFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: f.fn}
}

var _ duckdb.ScalarFunc = identityFunc{}
