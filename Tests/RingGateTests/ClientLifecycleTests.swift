import Testing

@testable import RingGate

/// The lifecycle state machine driven with plain values: no threads, no sockets.
struct ClientLifecycleTests {
    @Test func acceptResolveReceiveAndPeerClose() {
        var lifecycle = ClientLifecycle(resolvingPeer: true)
        #expect(lifecycle.phase == .resolvingPeer)
        #expect(lifecycle.peerResolved() == .armReceive)
        lifecycle.receiveSubmitted()
        #expect(lifecycle.receiveCompleted(result: 10, hasMore: true, noBuffers: false) == .deliver(rearm: false))
        #expect(lifecycle.receiveCompleted(result: 0, hasMore: false, noBuffers: false) == .peerGone)
        #expect(lifecycle.abort() == .submitClose)
        #expect(lifecycle.phase == .closed)
    }

    @Test func multishotEndingWithDataIsRearmed() {
        var lifecycle = ClientLifecycle(resolvingPeer: false)
        lifecycle.receiveSubmitted()
        #expect(lifecycle.receiveCompleted(result: 4096, hasMore: false, noBuffers: false) == .deliver(rearm: true))
        #expect(!lifecycle.receiveArmed)
    }

    @Test func bufferExhaustionIsNotThePeersFault() {
        var lifecycle = ClientLifecycle(resolvingPeer: false)
        lifecycle.receiveSubmitted()
        #expect(lifecycle.receiveCompleted(result: -105, hasMore: false, noBuffers: true) == .rearmWhenBuffersReturn)
        #expect(lifecycle.isOpen)
    }

    @Test func closeWaitsForTheArmedReceiveAndTheSendInFlight() {
        var lifecycle = ClientLifecycle(resolvingPeer: false)
        lifecycle.receiveSubmitted()
        lifecycle.sendSubmitted()
        #expect(lifecycle.abort() == .submitShutdown)
        // The receive ends with EOF after the shutdown; the send is still in flight.
        #expect(lifecycle.receiveCompleted(result: 0, hasMore: false, noBuffers: false) == .discard(then: .none))
        #expect(lifecycle.shutdownCompleted(result: 0) == .none)
        #expect(lifecycle.sendCompleted(result: -32) == .settled(then: .submitClose))
        #expect(lifecycle.phase == .closed)
    }

    @Test func aSendBlockedOnAPeerThatDoesNotReadIsEndedByTheShutdown() {
        var lifecycle = ClientLifecycle(resolvingPeer: false)
        lifecycle.sendSubmitted()
        #expect(lifecycle.abort() == .submitShutdown)
        #expect(lifecycle.shutdownCompleted(result: 0) == .none)
        #expect(lifecycle.sendCompleted(result: -32) == .settled(then: .submitClose))
    }

    @Test func failedShutdownCancelsWhatIsInFlight() {
        var lifecycle = ClientLifecycle(resolvingPeer: false)
        lifecycle.receiveSubmitted()
        #expect(lifecycle.abort() == .submitShutdown)
        #expect(lifecycle.shutdownCompleted(result: -107) == .cancelAll)
        #expect(lifecycle.receiveCompleted(result: -125, hasMore: false, noBuffers: false) == .discard(then: .none))
        #expect(lifecycle.cancelCompleted() == .submitClose)
    }

    @Test func gracefulCloseDrainsThenCloses() {
        var lifecycle = ClientLifecycle(resolvingPeer: false)
        lifecycle.receiveSubmitted()
        lifecycle.sendSubmitted()
        lifecycle.drain()
        #expect(lifecycle.phase == .draining)
        #expect(!lifecycle.acceptsOutput)  // workerman: no new sends once closing
        #expect(lifecycle.receiveCompleted(result: 5, hasMore: true, noBuffers: false) == .discard(then: .none))
        #expect(lifecycle.sendCompleted(result: 100) == .advance)
        #expect(lifecycle.queueDrained() == .submitShutdown)
        #expect(lifecycle.receiveCompleted(result: 0, hasMore: false, noBuffers: false) == .discard(then: .none))
        #expect(lifecycle.shutdownCompleted(result: 0) == .submitClose)
    }

    @Test func closeDuringPeerLookupWaitsForTheLookup() {
        var lifecycle = ClientLifecycle(resolvingPeer: true)
        #expect(lifecycle.abort() == .none)
        #expect(lifecycle.peerResolved() == .submitClose)
    }

    @Test func abortIsIdempotent() {
        var lifecycle = ClientLifecycle(resolvingPeer: false)
        #expect(lifecycle.abort() == .submitClose)
        #expect(lifecycle.abort() == .none)
    }

    // MARK: Live takeover

    @Test func pausingCancelsWhatIsInFlightDeliversWhatWasReadAndSettles() {
        var lifecycle = ClientLifecycle(resolvingPeer: false)
        lifecycle.receiveSubmitted()
        lifecycle.sendSubmitted()
        #expect(lifecycle.pause() == .cancelAll)
        #expect(!lifecycle.sends && lifecycle.acceptsOutput && lifecycle.deliversInput)
        // Bytes the kernel had already read are still decoded; nothing is re-armed.
        #expect(lifecycle.receiveCompleted(result: 100, hasMore: true, noBuffers: false) == .deliver(rearm: false))
        #expect(lifecycle.receiveCompleted(result: -125, hasMore: false, noBuffers: false) == .discard(then: .none))
        #expect(lifecycle.sendCompleted(result: -125) == .advance)  // cancelled: nothing sent, the queue keeps it
        #expect(!lifecycle.isPaused)  // the cancel itself has not completed yet
        #expect(lifecycle.cancelCompleted() == .none)
        #expect(lifecycle.isPaused && !lifecycle.deliversInput)
    }

    @Test func anIdleClientPausesAtOnceAndResumesWithAReceive() {
        var lifecycle = ClientLifecycle(resolvingPeer: false)
        #expect(lifecycle.pause() == .none)
        #expect(lifecycle.isPaused)
        #expect(lifecycle.resume() == .armReceive)
        #expect(lifecycle.isOpen)
    }

    @Test func aPeerThatLeavesWhilePausingIsGoneAndAHandedOverSlotClosesWithoutShutdown() {
        var gone = ClientLifecycle(resolvingPeer: false)
        gone.receiveSubmitted()
        #expect(gone.pause() == .cancelReceive)
        #expect(gone.receiveCompleted(result: 0, hasMore: false, noBuffers: false) == .peerGone)
        var moved = ClientLifecycle(resolvingPeer: false)
        #expect(moved.pause() == .none)
        #expect(moved.handedOver() == .submitClose)
        #expect(moved.phase == .closed)
    }

    @Test func aPausedClientKickedMeanwhileDrainsAndCloses() {
        var lifecycle = ClientLifecycle(resolvingPeer: false)
        #expect(lifecycle.pause() == .none)
        lifecycle.drain()
        #expect(lifecycle.phase == .draining && lifecycle.sends)
        lifecycle.sendSubmitted()
        #expect(lifecycle.sendCompleted(result: 5) == .advance)
        #expect(lifecycle.queueDrained() == .submitClose)
    }

    @Test func anAdoptedClientIsOpenWithNothingInFlight() {
        var lifecycle = ClientLifecycle.adopted
        #expect(lifecycle.isOpen && !lifecycle.receiveArmed && !lifecycle.sendInFlight)
        lifecycle.receiveSubmitted()
        #expect(lifecycle.receiveArmed)
    }
}
