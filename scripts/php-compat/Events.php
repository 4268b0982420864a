<?php
/**
 * Events.php — BusinessWorker event handler implementing the php-compat test protocol.
 *
 * Client → worker: one JSON command per WebSocket message
 *     {"seq": 7, "call": "bindUid", "args": ["u1"]}
 *     {"seq": 8, "call": "closeClient", "target": "<client_id>", "args": ["bye"]}
 * - "call" is a GatewayWorker\Lib\Gateway static method (list in CLIENT_FIRST / FREE below) or a
 *   pseudo call (session.get/set/unset/replace, server, whoami, echo, noop).
 * - Methods whose first parameter is a client_id (CLIENT_FIRST) get it implicitly: "target" if
 *   present, else the current client. "args" are the remaining parameters.
 * - The string "@self" anywhere in args/target is replaced by the current client_id.
 *
 * Worker → client (via Gateway::sendToCurrentClient, JSON text):
 *     {"reply":"bindUid","seq":7,"target":…,"args":[…],"result":<json>,"export":"<var_export>",
 *      "session_before":…,"session_after":…}
 *   or {"reply":…,"seq":…,"exception":"Class","message":"…"} when the call threw.
 *   Calls that close the current client produce no visible reply (the gateway drops it).
 * On connect / websocket handshake the worker greets the client:
 *     {"event":"connect","client_id":…,"server":$_SERVER,"session":$_SESSION}
 *     {"event":"websocket_connect","client_id":…,"get":…,"session":$_SESSION}
 *   (onWebSocketConnect copies ?name=… into $_SESSION['name'] to exercise session writes there.)
 *
 * onConnect / onWebSocketConnect / onClose also append one JSON line each to PHPCOMPAT_EVENT_LOG
 * with what the worker saw (client_id, $_SERVER, $_SESSION, the handshake data; onClose also
 * asks Gateway::isOnline() for the closing client).
 */

use GatewayWorker\Lib\Gateway;

class PhpCompatEvents
{
    /** Lib\Gateway methods whose first parameter is the client_id. */
    const CLIENT_FIRST = [
        'sendToClient', 'closeClient', 'destoryClient', 'isOnline', 'bindUid', 'unbindUid',
        'joinGroup', 'leaveGroup', 'getUidByClientId', 'getSession', 'setSession', 'updateSession',
    ];

    /** Lib\Gateway methods called with args as given. */
    const FREE = [
        'sendToCurrentClient', 'closeCurrentClient', 'destoryCurrentClient',
        'sendToAll', 'sendToUid', 'sendToGroup', 'ungroup',
        'isUidOnline', 'getClientIdByUid', 'getUidListByGroup', 'getUidCountByGroup',
        'getAllUidList', 'getAllUidCount',
        'getAllClientIdCount', 'getAllClientCount', 'getClientIdCountByGroup', 'getClientCountByGroup',
        'getAllClientSessions', 'getAllClientInfo', 'getClientSessionsByGroup', 'getClientInfoByGroup',
        'getClientIdListByGroup', 'getAllClientIdList',
        'getAllGroupIdList', 'getAllGroupUidList', 'getAllGroupUidCount',
        'getAllGroupClientIdList', 'getAllGroupClientIdCount',
    ];

    const JSON_FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION
        | JSON_PARTIAL_OUTPUT_ON_ERROR;

    public static function log(array $record)
    {
        $path = getenv('PHPCOMPAT_EVENT_LOG');
        if (!$path) {
            return;
        }
        file_put_contents($path, json_encode($record, self::JSON_FLAGS) . "\n", FILE_APPEND | LOCK_EX);
    }

    private static function reply(array $data)
    {
        Gateway::sendToCurrentClient(json_encode($data, self::JSON_FLAGS));
    }

    private static function substitute($value, $client_id)
    {
        if (is_array($value)) {
            $out = [];
            foreach ($value as $k => $v) {
                $out[$k === '@self' ? $client_id : $k] = self::substitute($v, $client_id);
            }
            return $out;
        }
        return $value === '@self' ? $client_id : $value;
    }

    public static function onConnect($client_id)
    {
        self::log(['event' => 'onConnect', 'client_id' => $client_id, 'server' => $_SERVER,
                   'session' => $_SESSION]);
        self::reply(['event' => 'connect', 'client_id' => $client_id, 'server' => $_SERVER,
                     'session' => $_SESSION]);
    }

    public static function onWebSocketConnect($client_id, $data)
    {
        self::log(['event' => 'onWebSocketConnect', 'client_id' => $client_id, 'data' => $data,
                   'server' => $_SERVER, 'session' => $_SESSION]);
        if (isset($data['get']['name'])) {
            $_SESSION['name'] = $data['get']['name'];
        }
        self::reply(['event' => 'websocket_connect', 'client_id' => $client_id,
                     'get' => $data['get'] ?? null, 'session' => $_SESSION]);
    }

    public static function onClose($client_id)
    {
        self::log(['event' => 'onClose', 'client_id' => $client_id, 'server' => $_SERVER,
                   'session' => $_SESSION, 'isOnline' => Gateway::isOnline($client_id)]);
    }

    public static function onMessage($client_id, $message)
    {
        $cmd = json_decode($message, true);
        if (!is_array($cmd) || !isset($cmd['call']) || !is_string($cmd['call'])) {
            self::reply(['reply' => null, 'error' => 'not a JSON command', 'message' => $message]);
            return;
        }
        $call = $cmd['call'];
        $seq = $cmd['seq'] ?? null;
        $args = self::substitute($cmd['args'] ?? [], $client_id);
        if (!is_array($args)) {
            $args = [$args];
        }
        $args = array_values($args);
        $target = array_key_exists('target', $cmd) ? self::substitute($cmd['target'], $client_id) : $client_id;
        $out = ['reply' => $call, 'seq' => $seq];
        if (in_array($call, self::CLIENT_FIRST, true)) {
            $out['target'] = $target;
        }
        $out['args'] = $args;
        $out['session_before'] = $_SESSION;
        try {
            $result = self::dispatch($call, $args, $target, $client_id);
            $out['result'] = $result;
            $out['export'] = var_export($result, true);
        } catch (\Throwable $e) {
            $out['exception'] = get_class($e);
            $out['message'] = $e->getMessage();
        }
        $out['session_after'] = $_SESSION;
        self::reply($out);
    }

    private static function dispatch(string $call, array $args, $target, $client_id)
    {
        if (in_array($call, self::CLIENT_FIRST, true)) {
            return call_user_func_array([Gateway::class, $call], array_merge([$target], $args));
        }
        if (in_array($call, self::FREE, true)) {
            return call_user_func_array([Gateway::class, $call], $args);
        }
        switch ($call) {
            case 'noop':
                return null;
            case 'whoami':
                return $client_id;
            case 'echo':
                return $args[0] ?? null;
            case 'server':
                return $_SERVER;
            case 'session.get':
                return $_SESSION;
            case 'session.set':        // ["key", value]: $_SESSION[key] = value
                $_SESSION[$args[0]] = $args[1] ?? null;
                return $_SESSION;
            case 'session.unset':      // ["key"]
                unset($_SESSION[$args[0]]);
                return $_SESSION;
            case 'session.replace':    // [array|null]: $_SESSION = value
                $_SESSION = $args[0] ?? null;
                return $_SESSION;
        }
        throw new \InvalidArgumentException("unknown call $call");
    }
}
