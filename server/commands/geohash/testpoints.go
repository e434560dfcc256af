package geohash

import (
	"math"
	"math/rand/v2"
)

// TestPoints returns n positions for tests of the GEO code (here and in
// the packages that use it): the limits of the grid and its corners,
// then random ones from a fixed seed: uniform over the world, clustered around
// Sicily, near the poles and near the antimeridian.
func TestPoints(n int) [][2]float64 {
	pts := [][2]float64{
		{0, 0}, {math.Copysign(0, -1), math.Copysign(0, -1)}, {180, 0}, {-180, 0}, {0, LatMax}, {0, LatMin}, {180, LatMax},
		{-180, LatMin}, {13.361389, 38.115556}, {15.087269, 37.502669}, {1e-310, 1e-310}, {179.9999999, 85.05},
		{-179.9999999, -85.05}, {0.000001, 0.000001}, {90, 45}, {-90, -45}, {45.5, 0}, {0, 45.5},
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for len(pts) < n {
		var p [2]float64
		switch len(pts) % 4 {
		case 0:
			p = [2]float64{rnd.Float64()*360 - 180, rnd.Float64()*2*LatMax - LatMax}
		case 1:
			p = [2]float64{13 + rnd.Float64()*3, 36.5 + rnd.Float64()*2.5}
		case 2:
			p = [2]float64{rnd.Float64()*360 - 180, 80 + rnd.Float64()*5.05}
			if rnd.IntN(2) == 0 {
				p[1] = -p[1]
			}
		default:
			p = [2]float64{179 + rnd.Float64(), rnd.Float64()*20 - 10}
			if rnd.IntN(2) == 0 {
				p[0] = -p[0]
			}
		}
		pts = append(pts, p)
	}
	return pts
}
