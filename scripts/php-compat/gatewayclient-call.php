<?php
/**
 * gatewayclient-call.php — run ONE GatewayClient\Gateway API call and print the result as JSON.
 *
 *   php gatewayclient-call.php [--register HOST:PORT] [--secret KEY] METHOD [ARG_JSON ...]
 *
 * Every ARG_JSON is one JSON value (decoded with json_decode(…, true), so objects become PHP
 * arrays): e.g.
 *   php gatewayclient-call.php getAllClientIdList
 *   php gatewayclient-call.php sendToUid '"u1"' '"hello"'
 *   php gatewayclient-call.php batchGetClientIdByUid '["u1","u2",7]'
 *   php gatewayclient-call.php batchGetClientIdCountByGroup '["room","nosuch"]'
 *   php gatewayclient-call.php sendToAll '"x"' null '["7f0000010b5400000001"]'
 *
 * Output (one line): {"call":…,"args":[…],"result":<json_encode>,"export":"<var_export>"}
 *                or  {"call":…,"args":[…],"exception":"Class","message":"…"}  (exit status 0 either way;
 *                    2 for usage errors).
 *
 * Defaults: --register 127.0.0.1:$PHPCOMPAT_REGISTER_PORT (1236), --secret $PHPCOMPAT_SECRET
 * (ringgate-lab); PHPLAB_DIR (required) locates the autoloader written by setup.sh.
 */

$labDir = getenv('PHPLAB_DIR');
if ($labDir === false || $labDir === '') {
    fwrite(STDERR, "gatewayclient-call.php: set PHPLAB_DIR to the lab laid out by setup.sh\n");
    exit(2);
}
require "$labDir/autoload.php";

use GatewayClient\Gateway;

$register = '127.0.0.1:' . (getenv('PHPCOMPAT_REGISTER_PORT') ?: '1236');
$secret = getenv('PHPCOMPAT_SECRET');
$secret = ($secret === false) ? 'ringgate-lab' : $secret;

$argvRest = array_slice($argv, 1);
while ($argvRest && substr($argvRest[0], 0, 2) === '--') {
    $opt = array_shift($argvRest);
    if (!$argvRest) {
        fwrite(STDERR, "missing value for $opt\n");
        exit(2);
    }
    $val = array_shift($argvRest);
    if ($opt === '--register') {
        $register = $val;
    } elseif ($opt === '--secret') {
        $secret = $val;
    } else {
        fwrite(STDERR, "unknown option $opt\n");
        exit(2);
    }
}
if (!$argvRest) {
    fwrite(STDERR, "usage: php gatewayclient-call.php [--register HOST:PORT] [--secret KEY] METHOD [ARG_JSON ...]\n");
    exit(2);
}
$method = array_shift($argvRest);
$args = [];
foreach ($argvRest as $i => $json) {
    $v = json_decode($json, true);
    if ($v === null && trim($json) !== 'null') {
        fwrite(STDERR, "argument " . ($i + 1) . " is not JSON: $json\n");
        exit(2);
    }
    $args[] = $v;
}

$flags = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_PARTIAL_OUTPUT_ON_ERROR;
$internal = ['setBusinessWorker', 'setSocketSession', 'sendAndRecv', 'sendToGateway', 'sendToAllGateway'];
$rm = null;
try {
    $rm = new ReflectionMethod(Gateway::class, $method);
} catch (ReflectionException $e) {
}
if (!$rm || !$rm->isPublic() || !$rm->isStatic() || in_array($method, $internal, true)) {
    fwrite(STDERR, "not a public GatewayClient\\Gateway API method: $method\n");
    exit(2);
}

Gateway::$registerAddress = $register;
Gateway::$secretKey = $secret;

$out = ['call' => $method, 'args' => $args];
try {
    $result = call_user_func_array([Gateway::class, $method], $args);
    $out['result'] = $result;
    $out['export'] = var_export($result, true);
} catch (Throwable $e) {
    $out['exception'] = get_class($e);
    $out['message'] = $e->getMessage();
}
echo json_encode($out, $flags), "\n";
