// trtexec's inference loop without TensorRT: the yardstick for trtkit's GPU bench loop (scripts/bench_gpu.py).
//
// Reproduces samples/common/sampleInference.cpp (TensorRT 10.16/11.x): IterationBase with three streams
// (input, compute, output), depth-2 event sets (mDepth = 1 + overlap), the same records and stream waits in
// query(), sync() on the last event of the oldest set, one InferenceTrace per iteration from six
// cudaEventElapsedTime calls, the warm-up rule of inferenceLoop(), and a CUDA graph captured around the
// enqueue for --useCudaGraph. The enqueue is the stand-in engine's kernel (tests/gpu/standin_engine.py,
// weighted_rows on MNIST's 1x784 input and 10 outputs), launched directly as TensorRT's enqueue would.
//
// Built by scripts/bench_gpu.py (nvcc -O2 -I DIR, DIR holding standin_kernels.cuh, the stand-in's kernel source);
// run: ./trtexec_loop --mode nodt --iterations 3000
// Prints one JSON object: per-iteration wall time, median enqueue time and median GPU span of one iteration in
// microseconds.

#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#define CHECK(call)                                                                                 \
    do {                                                                                            \
        cudaError_t status_ = (call);                                                               \
        if (status_ != cudaSuccess) {                                                               \
            std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, cudaGetErrorString(status_)); \
            std::exit(1);                                                                           \
        }                                                                                           \
    } while (0)

constexpr int kK = 784;  // MNIST_K: inputs per row
constexpr int kN = 10;   // MNIST_N: outputs per row

// The stand-in engine's kernels (weighted_rows is the one enqueued), from the one source that
// tests/gpu/standin_engine.py compiles too: scripts/bench_gpu.py writes its KERNELS to this header.
#include "standin_kernels.cuh"

using Clock = std::chrono::high_resolution_clock;
using TimePoint = Clock::time_point;
enum Ev { kINPUT_S, kINPUT_E, kCOMPUTE_S, kCOMPUTE_E, kOUTPUT_S, kOUTPUT_E, kEVENTS };
enum St { kINPUT, kCOMPUTE, kOUTPUT, kSTREAMS };

struct Trace {
    float enqStart, enqEnd, h2dStart, h2dEnd, computeStart, computeEnd, d2hStart, d2hEnd;
};

struct Buffers {
    float *hostIn, *hostOut, *devIn, *devOut, *weights;
    unsigned int* launches;
};

static float elapsed(cudaEvent_t from, cudaEvent_t to) {
    float ms = 0.f;
    CHECK(cudaEventElapsedTime(&ms, from, to));
    return ms;
}

// IterationBase, one stream set (--infStreams=1), as in sampleInference.cpp.
class Iteration {
public:
    Iteration(Buffers& buffers, bool spin, bool graph) : mB(buffers) {
        for (auto& s : mStream) CHECK(cudaStreamCreate(&s));
        for (auto& set : mEvents)
            for (auto& e : set) CHECK(cudaEventCreateWithFlags(&e, spin ? cudaEventDefault : cudaEventBlockingSync));
        if (graph) capture();
    }
    ~Iteration() {
        if (mExec) cudaGraphExecDestroy(mExec);
        if (mGraph) cudaGraphDestroy(mGraph);
        for (auto& set : mEvents)
            for (auto& e : set) cudaEventDestroy(e);
        for (auto& s : mStream) cudaStreamDestroy(s);
    }

    void wait(cudaEvent_t gpuStart) {
        for (auto& s : mStream) CHECK(cudaStreamWaitEvent(s, gpuStart, 0));
    }

    bool query(bool skipTransfers) {
        if (mActive[mNext]) return true;
        if (!skipTransfers) {
            record(kINPUT_S, kINPUT);
            CHECK(cudaMemcpyAsync(mB.devIn, mB.hostIn, kK * sizeof(float), cudaMemcpyHostToDevice, mStream[kINPUT]));
            record(kINPUT_E, kINPUT);
            CHECK(cudaStreamWaitEvent(mStream[kCOMPUTE], event(kINPUT_E), 0));
        }
        record(kCOMPUTE_S, kCOMPUTE);
        recordEnqueueTime();
        enqueue(mStream[kCOMPUTE]);
        recordEnqueueTime();
        record(kCOMPUTE_E, kCOMPUTE);
        if (!skipTransfers) {
            CHECK(cudaStreamWaitEvent(mStream[kOUTPUT], event(kCOMPUTE_E), 0));
            record(kOUTPUT_S, kOUTPUT);
            CHECK(cudaMemcpyAsync(mB.hostOut, mB.devOut, kN * sizeof(float), cudaMemcpyDeviceToHost, mStream[kOUTPUT]));
            record(kOUTPUT_E, kOUTPUT);
        }
        mActive[mNext] = true;
        moveNext();
        return true;
    }

    float sync(TimePoint cpuStart, cudaEvent_t gpuStart, std::vector<Trace>& trace, bool skipTransfers) {
        if (!mActive[mNext]) return 0.f;
        CHECK(cudaEventSynchronize(event(skipTransfers ? kCOMPUTE_E : kOUTPUT_E)));
        trace.push_back(getTrace(cpuStart, gpuStart, skipTransfers));
        mActive[mNext] = false;
        return elapsed(gpuStart, event(kCOMPUTE_S));
    }

    void syncAll(TimePoint cpuStart, cudaEvent_t gpuStart, std::vector<Trace>& trace, bool skipTransfers) {
        for (int d = 0; d < kDepth; ++d) {
            sync(cpuStart, gpuStart, trace, skipTransfers);
            moveNext();
        }
    }

private:
    static constexpr int kDepth = 2;  // 1 + overlap

    void enqueue(cudaStream_t stream) {
        if (mExec) {
            CHECK(cudaGraphLaunch(mExec, stream));
        } else {
            weighted_rows<<<1, 32 * kN, 0, stream>>>(mB.devIn, mB.weights, mB.devOut, 1, kK, kN, mB.launches);
        }
    }

    void capture() {  // IterationStd::createEnqueueFunction with inference.graph
        cudaStream_t stream = mStream[kCOMPUTE];
        enqueue(stream);
        CHECK(cudaStreamSynchronize(stream));
        CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
        enqueue(stream);
        CHECK(cudaStreamEndCapture(stream, &mGraph));
        CHECK(cudaGraphInstantiate(&mExec, mGraph, 0));
    }

    cudaEvent_t event(Ev e) { return mEvents[mNext][e]; }
    void record(Ev e, St s) { CHECK(cudaEventRecord(event(e), mStream[s])); }
    void moveNext() { mNext = kDepth - 1 - mNext; }
    void recordEnqueueTime() {
        mEnqueueTimes[mNext][mEnqueueStart] = Clock::now();
        mEnqueueStart = 1 - mEnqueueStart;
    }

    Trace getTrace(TimePoint cpuStart, cudaEvent_t gpuStart, bool skip) {
        auto ms = [&](TimePoint t) { return std::chrono::duration<float, std::milli>(t - cpuStart).count(); };
        float is = elapsed(gpuStart, event(skip ? kCOMPUTE_S : kINPUT_S));
        float ie = elapsed(gpuStart, event(skip ? kCOMPUTE_S : kINPUT_E));
        float os = elapsed(gpuStart, event(skip ? kCOMPUTE_E : kOUTPUT_S));
        float oe = elapsed(gpuStart, event(skip ? kCOMPUTE_E : kOUTPUT_E));
        return {ms(mEnqueueTimes[mNext][0]), ms(mEnqueueTimes[mNext][1]), is, ie,
                elapsed(gpuStart, event(kCOMPUTE_S)), elapsed(gpuStart, event(kCOMPUTE_E)), os, oe};
    }

    Buffers& mB;
    std::array<cudaStream_t, kSTREAMS> mStream{};
    std::array<std::array<cudaEvent_t, kEVENTS>, kDepth> mEvents{};
    std::array<std::array<TimePoint, 2>, kDepth> mEnqueueTimes{};
    std::array<bool, kDepth> mActive{};
    int mNext = 0;
    int mEnqueueStart = 0;
    cudaGraph_t mGraph = nullptr;
    cudaGraphExec_t mExec = nullptr;
};

// inferenceLoop(): iterations after warm-up; iterations that completed during warm-up are skipped.
static double loop(Iteration& it, int iterations, float warmupMs, bool skipTransfers, std::vector<Trace>& trace) {
    cudaEvent_t gpuStart;
    CHECK(cudaEventCreate(&gpuStart));
    auto cpuStart = Clock::now();
    CHECK(cudaEventRecord(gpuStart, 0));
    it.wait(gpuStart);
    float durationMs = 0.f;
    int skip = 0;
    for (int i = 0; i < iterations + skip; ++i) {
        it.query(skipTransfers);
        durationMs = std::max(durationMs, it.sync(cpuStart, gpuStart, trace, skipTransfers));
        if (durationMs < warmupMs && durationMs) ++skip;
    }
    it.syncAll(cpuStart, gpuStart, trace, skipTransfers);
    double wallMs = std::chrono::duration<double, std::milli>(Clock::now() - cpuStart).count();
    CHECK(cudaEventDestroy(gpuStart));
    return wallMs;
}

int main(int argc, char** argv) {
    std::string mode = "default";
    int iterations = 3000;
    float warmupMs = 20.f;
    bool spin = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--mode" && i + 1 < argc) mode = argv[++i];
        else if (a == "--iterations" && i + 1 < argc) iterations = std::atoi(argv[++i]);
        else if (a == "--warmUp" && i + 1 < argc) warmupMs = std::atof(argv[++i]);
        else if (a == "--useSpinWait") spin = true;
        else {
            std::fprintf(stderr, "usage: %s [--mode default|nodt|graph|graph_nodt] [--iterations N] [--warmUp MS] "
                         "[--useSpinWait]\n", argv[0]);
            return 2;
        }
    }
    bool graph = mode == "graph" || mode == "graph_nodt";
    bool skipTransfers = mode == "nodt" || mode == "graph_nodt";
    if (!graph && !skipTransfers && mode != "default") {
        std::fprintf(stderr, "unknown --mode %s\n", mode.c_str());
        return 2;
    }
    Buffers b{};
    CHECK(cudaMallocHost(&b.hostIn, kK * sizeof(float)));
    CHECK(cudaMallocHost(&b.hostOut, kN * sizeof(float)));
    CHECK(cudaMalloc(&b.devIn, kK * sizeof(float)));
    CHECK(cudaMalloc(&b.devOut, kN * sizeof(float)));
    CHECK(cudaMalloc(&b.weights, kK * kN * sizeof(float)));
    CHECK(cudaMalloc(&b.launches, sizeof(unsigned int)));
    std::vector<float> ones(kK * kN, 1.f);
    for (int i = 0; i < kK; ++i) b.hostIn[i] = 1.f;
    CHECK(cudaMemcpy(b.weights, ones.data(), ones.size() * sizeof(float), cudaMemcpyHostToDevice));
    CHECK(cudaMemset(b.launches, 0, sizeof(unsigned int)));
    // trtexec copies the inputs once before the loop, so --noDataTransfers still computes on real data.
    CHECK(cudaMemcpy(b.devIn, b.hostIn, kK * sizeof(float), cudaMemcpyHostToDevice));
    std::vector<Trace> trace;
    trace.reserve(iterations * 2 + 16);
    double wallMs;
    {
        Iteration it(b, spin, graph);
        wallMs = loop(it, iterations, warmupMs, skipTransfers, trace);
    }
    CHECK(cudaMemcpy(b.hostOut, b.devOut, kN * sizeof(float), cudaMemcpyDeviceToHost));
    unsigned int launches = 0;
    CHECK(cudaMemcpy(&launches, b.launches, sizeof(launches), cudaMemcpyDeviceToHost));
    // What trtkit reports too (trtkit/bench/stats.py, after trtexec's reporting): queries that started during
    // the warm-up are dropped; Total Host Walltime is the last D2H end minus the first H2D start.
    trace.erase(std::remove_if(trace.begin(), trace.end(), [&](Trace const& t) { return t.computeStart < warmupMs; }),
                trace.end());
    std::sort(trace.begin(), trace.end(), [](Trace const& a, Trace const& b) { return a.h2dStart < b.h2dStart; });
    double traceWallMs = trace.back().d2hEnd - trace.front().h2dStart;
    std::vector<float> enqueue;
    for (auto const& t : trace) enqueue.push_back(t.enqEnd - t.enqStart);
    std::nth_element(enqueue.begin(), enqueue.begin() + enqueue.size() / 2, enqueue.end());
    std::vector<float> gpu;  // one iteration's span on the GPU: first H2D start to last D2H end
    for (auto const& t : trace) gpu.push_back(t.d2hEnd - t.h2dStart);
    std::nth_element(gpu.begin(), gpu.begin() + gpu.size() / 2, gpu.end());
    std::printf("{\"mode\": \"%s\", \"queries\": %zu, \"launches\": %u, \"output0\": %g, \"loop_ms\": %.4f, "
                "\"walltime_ms\": %.4f, \"iteration_us\": %.4f, \"enqueue_us\": %.4f, \"gpu_us\": %.4f}\n",
                mode.c_str(), trace.size(), launches, b.hostOut[0], wallMs, traceWallMs,
                traceWallMs / trace.size() * 1e3, enqueue[enqueue.size() / 2] * 1e3, gpu[gpu.size() / 2] * 1e3);
    cudaFreeHost(b.hostIn);
    cudaFreeHost(b.hostOut);
    cudaFree(b.devIn);
    cudaFree(b.devOut);
    cudaFree(b.weights);
    cudaFree(b.launches);
    return 0;
}
