<?php
/**
 * The PHP GatewayWorker stack the benchmarks compare RingGate with, in the same run: a Register, one Gateway
 * process (websocket) and one BusinessWorker that echoes every message (Gateway::sendToCurrentClient).
 * Started by `Benchmarks … --php-gatewayworker DIR`, one OS process per role, in the foreground:
 *
 *   BENCH_ROLE=register|gateway|worker BENCH_LAB=DIR php bench-stack.php start
 *
 * DIR is a lab laid out by scripts/php-compat/setup.sh (vendor/GatewayWorker, vendor/workerman,
 * vendor/GatewayClient, autoload.php). Ports by environment: BENCH_REGISTER_PORT, BENCH_WS_PORT,
 * BENCH_START_PORT (the gateway's inner port), BENCH_RUN_DIR (pid, log and status files).
 */

use GatewayWorker\BusinessWorker;
use GatewayWorker\Gateway;
use GatewayWorker\Lib\Gateway as GatewayAPI;
use GatewayWorker\Register;
use Workerman\Worker;

$require = function (string $name): string {
    $value = getenv($name);
    if ($value === false || $value === '') {
        fwrite(STDERR, "bench-stack.php: $name is not set\n");
        exit(2);
    }
    return $value;
};

$lab = $require('BENCH_LAB');
if (!is_file("$lab/autoload.php")) {
    fwrite(STDERR, "bench-stack.php: no $lab/autoload.php (lay the lab out with scripts/php-compat/setup.sh)\n");
    exit(2);
}
require "$lab/autoload.php";

/** The benchmark's business logic: echo. */
class BenchEchoEvents
{
    public static function onMessage($clientId, $message)
    {
        GatewayAPI::sendToCurrentClient($message);
    }
}

$role = $require('BENCH_ROLE');
$runDir = $require('BENCH_RUN_DIR');
$registerAddress = '127.0.0.1:' . $require('BENCH_REGISTER_PORT');
@mkdir($runDir, 0777, true);
Worker::$pidFile = "$runDir/$role.pid";
Worker::$logFile = "$runDir/$role.workerman.log";
Worker::$statusFile = "$runDir/$role.status";

switch ($role) {
    case 'register':
        $register = new Register("text://$registerAddress");
        $register->name = 'BenchRegister';
        break;
    case 'gateway':
        $gateway = new Gateway('websocket://127.0.0.1:' . $require('BENCH_WS_PORT'));
        $gateway->name = 'BenchGateway';
        $gateway->count = 1;
        $gateway->lanIp = '127.0.0.1';
        $gateway->startPort = (int)$require('BENCH_START_PORT');
        $gateway->registerAddress = $registerAddress;
        break;
    case 'worker':
        $worker = new BusinessWorker();
        $worker->name = 'BenchBusinessWorker';
        $worker->count = 1;
        $worker->registerAddress = $registerAddress;
        $worker->eventHandler = 'BenchEchoEvents';
        break;
    default:
        fwrite(STDERR, "bench-stack.php: unknown BENCH_ROLE '$role' (register, gateway, worker)\n");
        exit(2);
}

Worker::runAll();
