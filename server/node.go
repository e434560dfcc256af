package server

import (
	"github.com/meshcache/meshcache/cluster/solo"
	"github.com/meshcache/meshcache/server/events"
	"github.com/meshcache/meshcache/server/membership"
)

// The node's cluster membership as the server holds it (package
// membership: the interfaces, one per concept, that *cluster.Node and the
// server's own one-node *solo.Node implement).

// SetCluster gives the server its node's cluster membership; parts left
// nil keep the server's one-node membership. It must be called before
// Serve (and before the node forwards anything here).
func (s *Server) SetCluster(c membership.Cluster) {
	c.Fill(membership.Of(s.solo))
	s.cluster = c
	s.standalone = membership.IsStandalone(c.Router)
	s.scripts.SetCluster(c, s.standalone)
	if s.standalone {
		s.events.SetCluster(events.Alone(c.ID()))
	} else {
		s.events.SetCluster(c)
	}
}

// Cluster returns the membership the server runs with (its own one-node
// membership unless SetCluster gave it another).
func (s *Server) Cluster() membership.Cluster { return s.cluster }

// Solo returns the server's own one-node membership: the cluster view of
// a server that runs alone (for its admin port), whether or not SetCluster
// replaced it since.
func (s *Server) Solo() *solo.Node { return s.solo }

// soloAddr is the RESP address a lone node reports (solo.Node.Self): where
// Serve listens, or the configured address before it does.
func (s *Server) soloAddr() string {
	if a := s.Addr(); a != nil {
		return a.String()
	}
	cfg := s.Config()
	return cfg.Addr()
}
