package main

// --storm P: ceil(P / (size-1)) rooms each get a host that joins first and
// sends (not counted); then P participants join, one every stormOver/P
// seconds, round-robin over the rooms; the in-room rank decides whether
// one sends (rank < senders). Each join is timed from its scheduled start
// (REST add + plugin join + ICE/DTLS for telemed) to the first RTP packet
// received. videoroom: a joiner publishes if it sends and subscribes to the
// host's feed; the host does not subscribe to the joiners.

import (
	"fmt"
	"math/rand"
	"sync"
	"time"
)

const firstPacketTimeout = 15 * time.Second

func (r *runner) storm(c *config, out *output, fails *failures, rng *rand.Rand) []*room {
	nRooms := (c.storm + c.size - 2) / (c.size - 1)
	rooms := make([]*room, 0, nRooms)
	hostFails := &failures{}
	var hmu sync.Mutex
	var hwg sync.WaitGroup
	sem := make(chan struct{}, c.parallel)
	for i := 0; i < nRooms; i++ {
		seed := rng.Int63()
		hwg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer hwg.Done()
			defer func() { <-sem }()
			rm, err := r.newRoom(c, i)
			if err != nil {
				hostFails.add(err)
				return
			}
			host := newPeer(i, i*c.size, true)
			rm.peers = append(rm.peers, host)
			host.joinStart = time.Now()
			if err := r.joinPeer(c, rm, host, rand.New(rand.NewSource(seed))); err != nil {
				hostFails.add(fmt.Errorf("host %d: %w", i, err))
			}
			hmu.Lock()
			rooms = append(rooms, rm)
			hmu.Unlock()
		}(i)
	}
	hwg.Wait()
	if hostFails.n > 0 || len(rooms) == 0 {
		fails.add(fmt.Errorf("%d of %d hosts failed: %v", hostFails.n, nRooms, hostFails.sample))
		return rooms
	}
	logf("storm: %d hosts up; %d joins over %.1f s", len(rooms), c.storm, c.stormOver)
	// Joiners are created up front so the rooms' peer lists are stable.
	type joiner struct {
		p  *peer
		rm *room
		at time.Duration
	}
	js := make([]joiner, c.storm)
	for j := 0; j < c.storm; j++ {
		rm := rooms[j%len(rooms)]
		rank := len(rm.peers)
		p := newPeer(rm.idx, rm.idx*c.size+rank, rank < c.senders)
		rm.peers = append(rm.peers, p)
		js[j] = joiner{p: p, rm: rm, at: time.Duration(float64(j) * c.stormOver / float64(c.storm) * float64(time.Second))}
	}
	start := time.Now().Add(200 * time.Millisecond)
	var wg sync.WaitGroup
	var feedMu sync.Mutex
	connected := make([]float64, 0, c.storm)
	var cmu sync.Mutex
	for j := range js {
		wg.Add(1)
		seed := rng.Int63()
		go func(jn joiner) {
			defer wg.Done()
			time.Sleep(time.Until(start.Add(jn.at)))
			p := jn.p
			p.joinStart = time.Now()
			lrng := rand.New(rand.NewSource(seed))
			var err error
			if c.plugin == "telemed" {
				err = r.telemedJoin(p, jn.rm.sessionID, lrng)
			} else {
				if p.sender {
					var feed uint64
					if feed, err = r.videoRoomPublish(p, jn.rm.vrRoom, lrng); err == nil {
						feedMu.Lock()
						jn.rm.feeds[p] = feed
						feedMu.Unlock()
					}
				}
				if err == nil {
					feedMu.Lock()
					hostFeed := jn.rm.feeds[jn.rm.peers[0]]
					feedMu.Unlock()
					err = r.videoRoomSubscribe(p, jn.rm.vrRoom, hostFeed)
				}
			}
			if err != nil {
				fails.add(fmt.Errorf("joiner %d: %w", p.idx, err))
				return
			}
			cmu.Lock()
			connected = append(connected, float64(time.Since(p.joinStart))/1e6)
			cmu.Unlock()
			deadline := time.Now().Add(firstPacketTimeout)
			for p.firstRx.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if p.firstRx.Load() == 0 {
				fails.add(fmt.Errorf("joiner %d: no packet within %v of being connected", p.idx, firstPacketTimeout))
			}
		}(js[j])
	}
	wg.Wait()
	phases := map[string][]float64{}
	for _, jn := range js {
		jn.p.mu.Lock()
		for k, d := range jn.p.marks {
			phases[k] = append(phases[k], float64(d)/1e6)
		}
		jn.p.mu.Unlock()
		if f := jn.p.firstRx.Load(); f > 0 {
			phases["5_first_packet"] = append(phases["5_first_packet"], float64(f-int64(jn.p.joinStart.Sub(t0)))/1e6)
		}
	}
	phaseDist := map[string]dist{}
	for k, v := range phases {
		phaseDist[k] = distOf(v, 1)
	}
	out.Storm = map[string]any{
		"phases_ms_from_join_start": phaseDist,
		"participants":              c.storm, "over_s": c.stormOver, "hosts": len(rooms),
		"join_to_connected_ms": distOf(connected, 1),
		"took_s":               round(time.Since(start).Seconds(), 2),
	}
	return rooms
}
