package synth

import "strconv"

// principalKind is the shape of a LANL user@domain value.
type principalKind uint8

const (
	pkUser           principalKind = iota // U12@DOM1
	pkLocalUser                           // U12@C34: a local account of computer C34
	pkMachine                             // C12$@DOM1: a computer's domain account
	pkSystem                              // SYSTEM@C12
	pkLocalService                        // LOCAL SERVICE@C12
	pkNetworkService                      // NETWORK SERVICE@C12
	pkAnonymous                           // ANONYMOUS LOGON@C12
)

// principal is a user@domain value: id is the user or computer number, host the
// computer of a local account.
type principal struct {
	kind principalKind
	id   int32
	host int32
}

func userP(id int32) principal    { return principal{kind: pkUser, id: id} }
func machineP(id int32) principal { return principal{kind: pkMachine, id: id} }

func appendPrincipal(b []byte, p principal) []byte {
	switch p.kind {
	case pkUser:
		b = strconv.AppendInt(append(b, 'U'), int64(p.id), 10)
		return append(b, "@DOM1"...)
	case pkLocalUser:
		b = strconv.AppendInt(append(b, 'U'), int64(p.id), 10)
		return appendComputer(append(b, '@'), p.host)
	case pkMachine:
		b = strconv.AppendInt(append(b, 'C'), int64(p.id), 10)
		return append(b, "$@DOM1"...)
	case pkSystem:
		return appendComputer(append(b, "SYSTEM@"...), p.id)
	case pkLocalService:
		return appendComputer(append(b, "LOCAL SERVICE@"...), p.id)
	case pkNetworkService:
		return appendComputer(append(b, "NETWORK SERVICE@"...), p.id)
	case pkAnonymous:
		return appendComputer(append(b, "ANONYMOUS LOGON@"...), p.id)
	}
	panic("synth: unknown principal kind")
}

// appendComputer writes C<id>, or LANL's unknown mark for id 0.
func appendComputer(b []byte, id int32) []byte {
	if id == 0 {
		return append(b, '?')
	}
	return strconv.AppendInt(append(b, 'C'), int64(id), 10)
}

// Auth field vocabularies; index 0 is LANL's unknown mark where one exists.
var (
	authTypes  = [...]string{"?", "Kerberos", "NTLM", "Negotiate", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"}
	logonTypes = [...]string{"?", "Network", "Interactive", "Service", "Batch", "Unlock", "RemoteInteractive"}
	directions = [...]string{"LogOn", "LogOff", "AuthMap", "TGS", "TGT"}
	results    = [...]string{"Success", "Fail"}
	actions    = [...]string{"Start", "End"}
)

const (
	atUnknown uint8 = iota
	atKerberos
	atNTLM
	atNegotiate
	atMSV
)

const (
	ltUnknown uint8 = iota
	ltNetwork
	ltInteractive
	ltService
	ltBatch
	ltUnlock
	ltRemoteInteractive
)

const (
	dirLogOn uint8 = iota
	dirLogOff
	dirAuthMap
	dirTGS
	dirTGT
)

const (
	resSuccess uint8 = iota
	resFail
)

const (
	actStart uint8 = iota
	actEnd
)

// timed is an event of any stream with its time in seconds.
type timed[E any] struct {
	t int64
	e E
}

type authEvent struct {
	srcUser, dstUser                       principal
	srcComp, dstComp                       int32
	authType, logonType, direction, result uint8
}

func appendAuth(b []byte, t int64, e *authEvent) []byte {
	b = strconv.AppendInt(b, t, 10)
	b = appendPrincipal(append(b, ','), e.srcUser)
	b = appendPrincipal(append(b, ','), e.dstUser)
	b = appendComputer(append(b, ','), e.srcComp)
	b = appendComputer(append(b, ','), e.dstComp)
	b = append(append(b, ','), authTypes[e.authType]...)
	b = append(append(b, ','), logonTypes[e.logonType]...)
	b = append(append(b, ','), directions[e.direction]...)
	b = append(append(b, ','), results[e.result]...)
	return append(b, '\n')
}

type procEvent struct {
	user   principal
	comp   int32
	proc   int32
	action uint8
}

func appendProc(b []byte, t int64, e *procEvent) []byte {
	b = strconv.AppendInt(b, t, 10)
	b = appendPrincipal(append(b, ','), e.user)
	b = appendComputer(append(b, ','), e.comp)
	b = strconv.AppendInt(append(b, ",P"...), int64(e.proc), 10)
	b = append(append(b, ','), actions[e.action]...)
	return append(b, '\n')
}

// flowEvent ports: a positive port is a well-known number, a negative one an
// anonymised port N<-port>.
type flowEvent struct {
	duration         int64
	src, dst         int32
	srcPort, dstPort int32
	protocol         uint8
	packets, bytes   int64
}

func appendPort(b []byte, p int32) []byte {
	if p < 0 {
		return strconv.AppendInt(append(b, 'N'), int64(-p), 10)
	}
	return strconv.AppendInt(b, int64(p), 10)
}

func appendFlow(b []byte, t int64, e *flowEvent) []byte {
	b = strconv.AppendInt(b, t, 10)
	b = strconv.AppendInt(append(b, ','), e.duration, 10)
	b = appendComputer(append(b, ','), e.src)
	b = appendPort(append(b, ','), e.srcPort)
	b = appendComputer(append(b, ','), e.dst)
	b = appendPort(append(b, ','), e.dstPort)
	b = strconv.AppendInt(append(b, ','), int64(e.protocol), 10)
	b = strconv.AppendInt(append(b, ','), e.packets, 10)
	b = strconv.AppendInt(append(b, ','), e.bytes, 10)
	return append(b, '\n')
}

type dnsEvent struct{ src, dst int32 }

func appendDNS(b []byte, t int64, e *dnsEvent) []byte {
	b = strconv.AppendInt(b, t, 10)
	b = appendComputer(append(b, ','), e.src)
	b = appendComputer(append(b, ','), e.dst)
	return append(b, '\n')
}

// rtLine is one red-team line: user logs on from src to dst.
type rtLine struct {
	user     principal
	src, dst int32
}

func appendRedTeam(b []byte, t int64, e *rtLine) []byte {
	b = strconv.AppendInt(b, t, 10)
	b = appendPrincipal(append(b, ','), e.user)
	b = appendComputer(append(b, ','), e.src)
	b = appendComputer(append(b, ','), e.dst)
	return append(b, '\n')
}
