export const USAGE = `idis-loadtest — load tests against an IDIS secondary node or any Handle.Net-compatible REST server

  npm run loadtest -- <command> [options]        (or the npm bin: idis-loadtest <command> [options])

Commands
  seed       register identifiers {prefix}/{stem}{number} for run to ask for
  run        drive a scenario (a YAML/JSON file or flags) and write JSON, HTML and Markdown results
  capacity   step the arrival rate up until p99 > bound or errors > bound; report the highest rate that met it
  report     render a result file (or two, side by side with ratios) into HTML and Markdown

Common
  --target URL          the server (default http://127.0.0.1:8080); not loopback → needs --allow-remote
  --allow-remote        permit a target (or MQTT broker, database) outside 127.0.0.0/8 and ::1
  --credentials FILE    KEY=value lines or JSON with IDIS_TOKEN, IDIS_USERNAME, IDIS_PASSWORD,
                        IDIS_MQTT_USERNAME, IDIS_MQTT_PASSWORD (the environment wins); never written to results
  --insecure            accept any TLS certificate (https targets)
  --quiet               no live progress line

run / capacity
  --scenario FILE       YAML or JSON scenario (apps/loadtest/scenarios/*.yaml); flags below override it
  --model open|closed   open: a target arrival rate, latency from the intended send time (default);
                        closed: N connections each waiting for its answer (as autocannon)
  --driver autocannon|agent   closed loop engine (default autocannon; agent when the mix uses MQTT)
  --rate N              open loop: requests per second (all workers together), default 200
  --connections N       closed loop: connections; open loop: socket limit (default 32)
  --duration S          seconds of measured load (default 10 without a scenario; 30s, 2m accepted)
  --warmup S            unmeasured seconds first
  --workers N           N load-generator processes; histograms merged exactly
  --mix a=w,b=w         operations and weights: resolve, snms-detail, proxy, register, register-batch,
                        update, epcis-mqtt, epcis-query, trace (default resolve=1)
  --prefix P            the identifiers' prefix (e.g. 88.118.8); with --stem (LT-), --pad (7),
  --keys N              --key-start (1): the series {P}/{stem}{number} that seed registers (N default 100000)
  --distribution D      uniform | zipf[:s] | hot-set[:keyShare:trafficShare] | cycle
  --unknown-share X     share (0..1) of resolutions for identifiers that do not exist (must answer 404)
  --seed N              random seed of the key choice
  --max-requests N      stop after N requests (default 10,000,000); every run is also bounded by its duration
  --timeout MS          per request (default 10000)
  --mqtt-url URL        broker for epcis-mqtt (QoS 1, done at PUBACK); --mqtt-topic-root (idis/v1)
  --template V          template version for register/update (default 1.0)
  --out FILE            result JSON (default loadtest-results/<kind>-<time>.json); --html FILE, --md FILE

capacity only
  --start-rate N (200)  --growth F (1.5) or --step-rate N (additive)  --step-duration S (5)  --warmup S (2)
  --p99 MS (10)  --max-errors X (0.001 = 0.1 %)  --max-rate N  --max-steps N (40)  --refine N (2)

seed
  --prefix P --count N (100000) --stem LT- --pad 7 --key-start 1 --template 1.0
  through the SNMS batch API: --batch N (2000) --concurrency N (2) --state FILE (resumes where it stopped)
  or as one CSV file through the node's bulk import: --bulk (COPY in one transaction, all or nothing;
    identifiers already there are counted; --timeout default 1800000 ms)
  or straight into the database: --database-url postgres://… (COPY; the prefix must exist there)

report
  report A.json [B.json] [--html FILE] [--md FILE] [--name-a NAME] [--name-b NAME]

Ctrl-C stops the load and still writes the (partial) results; a second Ctrl-C quits at once.
`;
