package resp

import (
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConnTakeBatch: an event loop's TakeBatch, with reads that find
// nothing every other time and bytes arriving chunk at a time, hands out
// the commands ReadBatch does, then the same error; it reads at most once
// per call, and HasMore tells the loop when more is to be taken without
// a read.
func TestConnTakeBatch(t *testing.T) {
	inputs := []string{
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n",
		"PING\r\nGET \"a\r\n",
		"*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n",
		"*2\r\n$4\r\nECHO\r\n$" + "20000\r\n" + strings.Repeat("e", 20000) + "\r\n",
	}
	for _, in := range inputs {
		for _, chunk := range []int{1, 3, 7, 64, 1 << 20} {
			wantCmds, _, wantErr := readAll(t, in, chunk, openLimits)

			var inBytes, outBytes atomic.Int64
			pc := NewConn(&bytesConn{}, openLimits, &inBytes, &outBytes, slog.New(slog.DiscardHandler))
			src := strings.NewReader(in)
			calls, empty := 0, false
			read := func(p []byte) (int, error) {
				calls++
				if empty = !empty; empty {
					return 0, nil // nothing there yet
				}
				n, err := src.Read(p[:min(len(p), chunk)])
				if n > 0 {
					return n, nil
				}
				return 0, err
			}
			var cmds [][]string
			var err error
			for err == nil {
				before := calls
				var batch [][][]byte
				batch, err = pc.TakeBatch(read)
				require.LessOrEqual(t, calls-before, 1, "TakeBatch reads once at most")
				for _, args := range batch {
					cmd := make([]string, len(args))
					for i, a := range args {
						cmd[i] = string(a)
					}
					cmds = append(cmds, cmd)
				}
				if len(batch) > 0 && !pc.HasMore() {
					// Nothing buffered: the next call must read.
					before = calls
					_, _ = pc.TakeBatch(func([]byte) (int, error) { calls++; return 0, nil })
					require.Equal(t, before+1, calls)
				}
			}
			require.Equal(t, wantCmds, cmds, "input %q, chunk %d", in, chunk)
			require.Equal(t, errText(wantErr), errText(err))
			require.Equal(t, int64(len(in)), inBytes.Load())
		}
	}
}

// TestConnFlushTo: a write the socket takes in part leaves the rest
// queued, in order, for the next FlushTo or Flush; a failed write keeps
// the replies and returns the error.
func TestConnFlushTo(t *testing.T) {
	var inBytes, outBytes atomic.Int64
	out := &bytesConn{}
	pc := NewConn(out, openLimits, &inBytes, &outBytes, slog.New(slog.DiscardHandler))
	done, err := pc.FlushTo(func([]byte) (int, error) { t.Fatal("nothing to write"); return 0, nil })
	require.True(t, done)
	require.NoError(t, err)

	pc.Queue([]byte("+hello\r\n"))
	pc.Queue([]byte("+world\r\n"))
	var sent strings.Builder
	done, err = pc.FlushTo(func(p []byte) (int, error) { sent.Write(p[:5]); return 5, nil })
	require.False(t, done)
	require.NoError(t, err)
	boom := errors.New("broken pipe")
	done, err = pc.FlushTo(func([]byte) (int, error) { return 0, boom })
	require.False(t, done)
	require.ErrorIs(t, err, boom)
	done, err = pc.FlushTo(func(p []byte) (int, error) { sent.Write(p[:3]); return 3, nil })
	require.False(t, done)
	require.NoError(t, err)
	require.NoError(t, pc.Flush(), "the rest goes through the blocking Flush")
	sent.Write(out.out.Bytes())
	require.Equal(t, "+hello\r\n+world\r\n", sent.String())
	require.EqualValues(t, 16, outBytes.Load())

	pc.Queue([]byte("+ok\r\n"))
	done, err = pc.FlushTo(func(p []byte) (int, error) { return len(p), nil })
	require.True(t, done)
	require.NoError(t, err)
	require.EqualValues(t, 21, outBytes.Load())
}
