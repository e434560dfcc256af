package config

import (
	"errors"
	"strconv"
	"strings"
)

// BufferClass is a client class of client-output-buffer-limit.
type BufferClass int

// The classes, in the order CONFIG GET shows them.
const (
	ClassNormal BufferClass = iota
	ClassReplica
	ClassPubSub
	nClasses
)

// Name returns the class as CONFIG GET names it (Redis says "slave").
func (k BufferClass) Name() string { return [...]string{"normal", "slave", "pubsub"}[k] }

// OutputLimit is one class's client-output-buffer-limit: a client whose
// pending output reaches Hard bytes, or stays at Soft bytes or more for
// longer than SoftSeconds, is closed. 0 disables a limit.
type OutputLimit struct {
	Hard, Soft  int64
	SoftSeconds int64
}

// OutputLimits are the limits of every class.
type OutputLimits [nClasses]OutputLimit

// DefaultOutputLimits are Redis's: "normal 0 0 0 slave 256mb 64mb 60
// pubsub 32mb 8mb 60".
var DefaultOutputLimits = OutputLimits{
	ClassNormal:  {},
	ClassReplica: {Hard: 256 << 20, Soft: 64 << 20, SoftSeconds: 60},
	ClassPubSub:  {Hard: 32 << 20, Soft: 8 << 20, SoftSeconds: 60},
}

// String renders the limits as CONFIG GET does.
func (l OutputLimits) String() string {
	var b strings.Builder
	for k, lim := range l {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(BufferClass(k).Name() + " " + strconv.FormatInt(lim.Hard, 10) + " " +
			strconv.FormatInt(lim.Soft, 10) + " " + strconv.FormatInt(lim.SoftSeconds, 10))
	}
	return b.String()
}

// Redis's reasons for a bad client-output-buffer-limit, which CONFIG SET
// quotes as they are.
var (
	errLimitArgs   = errors.New("Wrong number of arguments in buffer limit configuration.")                   //lint:ignore ST1005 Redis's text, byte for byte
	errLimitClass  = errors.New("Invalid client class specified in buffer limit configuration.")              //lint:ignore ST1005 Redis's text, byte for byte
	errLimitValues = errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.") //lint:ignore ST1005 Redis's text, byte for byte
)

// Set parses "<class> <hard> <soft> <soft seconds>" groups, as Redis's
// CONFIG SET client-output-buffer-limit, into l; the classes not named keep
// their limits. On an error l is unchanged; the error's text is Redis's.
func (l *OutputLimits) Set(v string) error {
	f := strings.Fields(v)
	if len(f)%4 != 0 {
		return errLimitArgs
	}
	next := *l
	for i := 0; i < len(f); i += 4 {
		var k BufferClass
		switch strings.ToLower(f[i]) {
		case "normal":
			k = ClassNormal
		case "slave", "replica":
			k = ClassReplica
		case "pubsub":
			k = ClassPubSub
		default:
			return errLimitClass
		}
		hard, ok1 := ParseMemory(f[i+1])
		soft, ok2 := ParseMemory(f[i+2])
		secs, err := strconv.ParseInt(f[i+3], 10, 64)
		if !ok1 || !ok2 || err != nil || secs < 0 {
			return errLimitValues
		}
		next[k] = OutputLimit{Hard: hard, Soft: soft, SoftSeconds: secs}
	}
	*l = next
	return nil
}
