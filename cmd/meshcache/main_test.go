package main

import (
	"os"
	"testing"

	"github.com/meshcache/meshcache/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
