<?php
/**
 * start-php-stack.php — start the real PHP GatewayWorker stack for the RingGate compatibility lab.
 *
 *   PHPCOMPAT_ROLES=register,gateway,worker php start-php-stack.php start
 *
 * Runs in the foreground (never use -d here; run-scenario.py kills the process group).
 * One OS process may run several roles; run-scenario.py starts one process per role so that
 * `--gateway external` can leave the gateway role out.
 *
 * Configuration, all by environment variable (defaults in brackets):
 *   PHPLAB_DIR                   lab built by setup.sh                        [required]
 *   PHPCOMPAT_ROLES              comma list of register,gateway,worker        [register,gateway,worker]
 *   PHPCOMPAT_RUN_DIR            pid / log / status files                     [$PHPLAB_DIR/run]
 *   PHPCOMPAT_REGISTER_PORT      Register port on 127.0.0.1                   [1236]
 *   PHPCOMPAT_WS_PORT            Gateway public websocket port on 127.0.0.1   [8282]
 *   PHPCOMPAT_LAN_IP             Gateway lanIp                                [127.0.0.1]
 *   PHPCOMPAT_START_PORT         Gateway startPort (inner port = startPort+0) [2900]
 *   PHPCOMPAT_SECRET             secretKey of Register, Gateway, BusinessWorker [ringgate-lab]
 *   PHPCOMPAT_PING_INTERVAL      Gateway pingInterval (s, 0 = off)            [0]
 *   PHPCOMPAT_PING_LIMIT         Gateway pingNotResponseLimit                 [0]
 *   PHPCOMPAT_PING_DATA          Gateway pingData                             ['']
 *   PHPCOMPAT_EVENT_LOG          JSON-lines log written by the Events class   [$RUN_DIR/events.jsonl]
 *   PHPCOMPAT_WORKER_NAME        BusinessWorker name                          [CompatBusinessWorker]
 */

use GatewayWorker\BusinessWorker;
use GatewayWorker\Gateway;
use GatewayWorker\Register;
use Workerman\Worker;

$env = function (string $name, string $default): string {
    $v = getenv($name);
    return ($v === false) ? $default : $v;
};

$labDir = $env('PHPLAB_DIR', '');
if ($labDir === '') {
    fwrite(STDERR, "start-php-stack.php: set PHPLAB_DIR to the lab laid out by setup.sh\n");
    exit(2);
}
if (!is_file("$labDir/autoload.php")) {
    fwrite(STDERR, "no $labDir/autoload.php — run scripts/php-compat/setup.sh first\n");
    exit(1);
}
require "$labDir/autoload.php";
require __DIR__ . '/Events.php';

$roles        = array_filter(array_map('trim', explode(',', $env('PHPCOMPAT_ROLES', 'register,gateway,worker'))));
$runDir       = $env('PHPCOMPAT_RUN_DIR', "$labDir/run");
$registerPort = (int)$env('PHPCOMPAT_REGISTER_PORT', '1236');
$wsPort       = (int)$env('PHPCOMPAT_WS_PORT', '8282');
$lanIp        = $env('PHPCOMPAT_LAN_IP', '127.0.0.1');
$startPort    = (int)$env('PHPCOMPAT_START_PORT', '2900');
$secret       = $env('PHPCOMPAT_SECRET', 'ringgate-lab');
$registerAddr = "127.0.0.1:$registerPort";

@mkdir($runDir, 0777, true);
$tag = implode('-', $roles);
Worker::$pidFile    = "$runDir/$tag.pid";
Worker::$logFile    = "$runDir/$tag.workerman.log";
Worker::$statusFile = "$runDir/$tag.status";
putenv('PHPCOMPAT_EVENT_LOG=' . $env('PHPCOMPAT_EVENT_LOG', "$runDir/events.jsonl"));

foreach ($roles as $role) {
    switch ($role) {
        case 'register':
            $register = new Register("text://127.0.0.1:$registerPort");
            $register->name = 'CompatRegister';
            $register->secretKey = $secret;
            break;

        case 'gateway':
            $gateway = new Gateway("websocket://127.0.0.1:$wsPort");
            $gateway->name = 'CompatGateway';
            $gateway->count = 1;
            $gateway->lanIp = $lanIp;
            $gateway->startPort = $startPort;
            $gateway->registerAddress = $registerAddr;
            $gateway->secretKey = $secret;
            $gateway->pingInterval = (float)$env('PHPCOMPAT_PING_INTERVAL', '0');
            $gateway->pingNotResponseLimit = (int)$env('PHPCOMPAT_PING_LIMIT', '0');
            $gateway->pingData = $env('PHPCOMPAT_PING_DATA', '');
            break;

        case 'worker':
            $worker = new BusinessWorker();
            $worker->name = $env('PHPCOMPAT_WORKER_NAME', 'CompatBusinessWorker');
            $worker->count = 1;
            $worker->registerAddress = $registerAddr;
            $worker->secretKey = $secret;
            $worker->eventHandler = 'PhpCompatEvents';
            break;

        default:
            fwrite(STDERR, "unknown role '$role' (register, gateway, worker)\n");
            exit(1);
    }
}

Worker::runAll();
