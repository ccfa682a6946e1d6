package fakeserver

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

func TestConcurrentUse(t *testing.T) {
	const cars, workers, rounds = 8, 8, 10
	var fleet []Car
	for i := range cars {
		fleet = append(fleet, legacyCar(fmt.Sprintf("v%d", i)))
	}
	e := newEnv(t, Options{BucketSize: 1 << 20}, fleet...)
	var wg sync.WaitGroup
	statuses := make(chan int, workers*rounds*2)
	for w := range workers {
		wg.Go(func() { e.churn(fmt.Sprintf("v%d", w%cars), rounds, statuses) })
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if counts[200]+counts[502] != workers*rounds*2 {
		t.Errorf("statuses = %v, want only 200 and 502", counts)
	}
	reads := 0
	for i := range cars {
		reads += e.s.ReadCount(fmt.Sprintf("v%d", i))
	}
	if reads != workers*rounds {
		t.Errorf("total reads = %d, want %d", reads, workers*rounds)
	}
	if got := e.s.Requests("/v3/connections"); got != workers*rounds {
		t.Errorf("Requests(/v3/connections) = %d, want %d", got, workers*rounds)
	}
	if got := len(e.s.Violations()); got != workers*rounds-cars {
		t.Errorf("len(Violations()) = %d, want %d (every read after a car's first is at the same instant)", got,
			workers*rounds-cars)
	}
}

// churn reads one car and lists connections rounds times, changing the car, injecting and holding in between.
func (e *env) churn(id string, rounds int, statuses chan<- int) {
	for i := range rounds {
		statuses <- e.status("/vehicles/"+id+"/signals", "u1")
		statuses <- e.status("/connections", "")
		switch i % 3 {
		case 0:
			e.s.SetCar(keyedCar(id))
		case 1:
			e.s.Inject(id, 1, Failure{Type: "UPSTREAM", Code: "NO_RESPONSE"})
		default:
			e.s.Hold(id)()
		}
		_ = e.s.Violations()
	}
}

// status is the status of a GET of base+path, -1 on a transport error. Unlike get it is safe off the test goroutine.
func (e *env) status(path, user string) int {
	req, err := http.NewRequest(http.MethodGet, e.base+path, nil)
	if err != nil {
		return -1
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	if user != "" {
		req.Header.Set("sc-user-id", user)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	resp.Body.Close()
	return resp.StatusCode
}
