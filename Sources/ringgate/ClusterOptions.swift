import ArgumentParser

/// How a gateway or a worker finds the rest of the cluster: the Register(s) and the shared secret.
struct ClusterOptions: ParsableArguments {
    @Option(name: .customLong("register-address"), help: "Register address ip:port (repeat for several).")
    var registerAddresses: [String] = []

    @Option(help: "Secret shared by gateways, workers, GatewayClient and the Register.")
    var secretKey: String = ""
}
