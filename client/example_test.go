package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/meshcache/meshcache/client"
)

// These examples need running meshcache nodes, so they are compiled but not
// run (no Output comment); the package's tests run the same calls against
// real processes.

func Example() {
	ctx := context.Background()
	c, err := client.New(ctx, client.Options{Addrs: []string{"127.0.0.1:6379", "127.0.0.1:6380", "127.0.0.1:6381"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// Data commands: a go-redis client that routes by slot.
	if err := c.Redis().Set(ctx, "greeting", "hello", time.Minute).Err(); err != nil {
		log.Fatal(err)
	}
}

func ExampleClient_Mutex() {
	ctx := context.Background()
	c, err := client.New(ctx, client.Options{Addrs: []string{"127.0.0.1:6379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	m := c.Mutex("nightly-report", client.MutexOptions{TTL: 10 * time.Second})
	if err := m.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	defer func() {
		if err := m.Unlock(ctx); err != nil {
			log.Printf("unlock: %v", err)
		}
	}()
	// Pass the fencing token to the protected resource, and stop when the
	// lock is lost.
	fmt.Println("writing with token", m.Token())
	select {
	case <-m.Lost():
		log.Print("lock lost; stopping")
	case <-time.After(time.Second): // the work
	}
}

func ExampleMutex_TryLock() {
	ctx := context.Background()
	c, err := client.New(ctx, client.Options{Addrs: []string{"127.0.0.1:6379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	m := c.Mutex("cron:cleanup", client.MutexOptions{})
	ok, err := m.TryLock(ctx)
	switch {
	case err != nil:
		log.Fatal(err)
	case !ok:
		fmt.Println("another instance runs the cleanup")
		return
	}
	defer m.Unlock(ctx)
	fmt.Println("cleaning up")
}

func ExampleClient_Elect() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := client.New(ctx, client.Options{Addrs: []string{"127.0.0.1:6379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	err = c.Elect(ctx, "scheduler", client.ElectOptions{TTL: 5 * time.Second}, func(ctx context.Context, token uint64) error {
		log.Printf("leading with token %d", token)
		<-ctx.Done() // lead until leadership is lost or the program stops
		if errors.Is(context.Cause(ctx), client.ErrLeadershipLost) {
			log.Print("lost leadership; campaigning again")
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}
