// Command probe sends one command to a meshcache node and prints its reply.
//
// The chaos suite copies it into a node's container (the image is FROM
// scratch: no shell, no redis-cli) and runs it with `docker exec`, to talk
// to a node that a fault has cut off from the host, such as one that was
// disconnected from the cluster network and so has no published port.
//
//	probe [-addr 127.0.0.1:6379] [-timeout 2s] SET k v
//
// Exit status: 0 and the reply on stdout; 1 and "error: <reply>" when the
// node answered with an error reply; 2 and "neterror: <err>" when it did not
// answer (connection refused, timeout).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	os.Exit(run())
}

func run() int {
	addr := flag.String("addr", "127.0.0.1:6379", "node's RESP address")
	timeout := flag.Duration("timeout", 2*time.Second, "dial, read and write timeout")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: probe [-addr host:port] [-timeout d] COMMAND [ARG ...]")
		return 2
	}
	args := make([]any, flag.NArg())
	for i, a := range flag.Args() {
		args[i] = a
	}
	c := redis.NewClient(&redis.Options{
		Addr: *addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		DialTimeout: *timeout, ReadTimeout: *timeout, WriteTimeout: *timeout,
	})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2**timeout)
	defer cancel()
	v, err := c.Do(ctx, args...).Result()
	var rerr redis.Error
	switch {
	case errors.Is(err, redis.Nil):
		fmt.Println("(nil)")
	case errors.As(err, &rerr):
		fmt.Println("error:", rerr.Error())
		return 1
	case err != nil:
		fmt.Println("neterror:", err)
		return 2
	default:
		fmt.Println(v)
	}
	return 0
}
