<?php
/**
 * php-host.php — one PHP GatewayWorker role on one host of the cluster test bed (scenarios.py starts
 * it with `ip netns exec`; never committed with any PHP library code: the lab comes from
 * scripts/php-compat/setup.sh, outside the repository).
 *
 *   CLUSTER_PHPLAB_DIR=/path/php-lab CLUSTER_ROLE=gateway|worker ... php php-host.php start
 *
 * Environment: CLUSTER_ROLE, CLUSTER_PHPLAB_DIR, CLUSTER_REGISTER (ip:port), CLUSTER_SECRET,
 * gateway: CLUSTER_LISTEN (e.g. text://0.0.0.0:8282), CLUSTER_LAN_IP, CLUSTER_START_PORT, CLUSTER_COUNT;
 * worker: CLUSTER_NAME; CLUSTER_RUN_DIR holds workerman's pid/log/status files. The worker echoes every message to its sender (like `ringgate echo-worker`).
 */

use GatewayWorker\BusinessWorker;
use GatewayWorker\Gateway;
use GatewayWorker\Lib\Gateway as Api;
use Workerman\Worker;

$env = function (string $name, string $default = ''): string {
    $value = getenv($name);
    return $value === false ? $default : $value;
};

require $env('CLUSTER_PHPLAB_DIR') . '/autoload.php';

class ClusterEchoEvents
{
    public static function onMessage($client_id, $message)
    {
        Api::sendToCurrentClient($message);
    }
}

$role = $env('CLUSTER_ROLE');
$run = $env('CLUSTER_RUN_DIR', sys_get_temp_dir()) . '/php-' . getmypid();
@mkdir($run, 0700, true);
Worker::$pidFile = "$run/master.pid";
Worker::$logFile = "$run/workerman.log";
Worker::$statusFile = "$run/status";

if ($role === 'gateway') {
    $gateway = new Gateway($env('CLUSTER_LISTEN'));
    $gateway->name = 'ClusterGateway';
    $gateway->count = (int)$env('CLUSTER_COUNT', '2');
    $gateway->lanIp = $env('CLUSTER_LAN_IP');
    $gateway->startPort = (int)$env('CLUSTER_START_PORT', '2900');
    $gateway->registerAddress = $env('CLUSTER_REGISTER');
    $gateway->secretKey = $env('CLUSTER_SECRET');
} elseif ($role === 'worker') {
    $worker = new BusinessWorker();
    $worker->name = $env('CLUSTER_NAME', 'ClusterWorker');
    $worker->count = 1;
    $worker->registerAddress = $env('CLUSTER_REGISTER');
    $worker->secretKey = $env('CLUSTER_SECRET');
    $worker->eventHandler = 'ClusterEchoEvents';
} else {
    fwrite(STDERR, "CLUSTER_ROLE must be gateway or worker\n");
    exit(2);
}

Worker::runAll();
