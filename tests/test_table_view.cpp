// Tables read in their stored type (TableView: F32, BF16, F16) by the whole-table analyses,
// against independent references: the widening against the scalar bit conversions of the
// safetensors reader, the fused skinny kernel against double sums, and every analysis on a
// BF16 / F16 view against the same analysis on the float table those values widen to (which
// must agree bit for bit for neighbours, and to float round-off for PCA), on every SIMD path
// this CPU has.
#include <doctest.h>

#include "analysis.h"
#include "checkpoint.h"
#include "safetensors.h"
#include "simd.h"
#include "skinny_kernels.h"
#include "table_view.h"
#include "vocabulary.h"

#include <Eigen/SVD>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

using namespace es;
namespace fs = std::filesystem;

namespace {

std::vector<SimdLevel> levels_here() {
  std::vector<SimdLevel> out = {SimdLevel::Portable};
  if (cpu_simd_level() >= SimdLevel::Avx2) out.push_back(SimdLevel::Avx2);
  if (cpu_simd_level() >= SimdLevel::Avx512) out.push_back(SimdLevel::Avx512);
  return out;
}
struct CapGuard {
  ~CapGuard() { set_simd_cap(SimdLevel::Avx512); }
};

// A table with structure: a rank-r part with decaying scales, noise and an offset.
MatrixRM structured(int n, int d, unsigned seed, int r = 6) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  MatrixRM basis(r, d), out(n, d);
  for (int i = 0; i < r * d; ++i) basis.data()[i] = nd(gen);
  for (int row = 0; row < n; ++row) {
    for (int c = 0; c < d; ++c) out(row, c) = 0.05f * nd(gen) + 0.2f;
    for (int j = 0; j < r; ++j) out.row(row) += nd(gen) * std::pow(0.7f, float(j)) * basis.row(j);
  }
  return out;
}

std::vector<uint16_t> to_half(const MatrixRM& m, ElementType type) {
  std::vector<uint16_t> out(static_cast<std::size_t>(m.size()));
  for (Eigen::Index i = 0; i < m.size(); ++i)
    out[static_cast<std::size_t>(i)] =
        type == ElementType::BF16 ? float_to_bf16_bits(m.data()[i]) : float_to_f16_bits(m.data()[i]);
  return out;
}
MatrixRM widened_by_scalar(const std::vector<uint16_t>& bits, ElementType type, int n, int d) {
  MatrixRM out(n, d);
  for (std::size_t i = 0; i < bits.size(); ++i)
    out.data()[i] = type == ElementType::BF16 ? bf16_bits_to_float(bits[i]) : f16_bits_to_float(bits[i]);
  return out;
}

}  // namespace

TEST_CASE("widening BF16 and F16 equals the scalar conversion on every path, specials included") {
  CapGuard guard;
  std::vector<uint16_t> bits;
  for (uint32_t b = 0; b < 65536; b += 7) bits.push_back(static_cast<uint16_t>(b));  // every class of value
  for (uint16_t special : {0x0000, 0x8000, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e01, 0x7f80, 0xff80, 0x7fc1})
    bits.push_back(special);
  for (SimdLevel level : levels_here()) {
    set_simd_cap(level);
    for (ElementType type : {ElementType::BF16, ElementType::F16})
      for (std::size_t count : {bits.size(), std::size_t(1), std::size_t(15), std::size_t(17), std::size_t(33)}) {
        std::vector<float> got(count);
        fast::widen(bits.data(), type, count, got.data());
        int differ = 0;
        for (std::size_t i = 0; i < count; ++i) {
          const float want = type == ElementType::BF16 ? bf16_bits_to_float(bits[i]) : f16_bits_to_float(bits[i]);
          uint32_t a, b;
          std::memcpy(&a, &got[i], 4);
          std::memcpy(&b, &want, 4);
          // bit for bit; a NaN only has to stay a NaN (F16C quiets signalling NaNs)
          differ += std::isnan(want) ? !std::isnan(got[i]) : a != b;
        }
        CHECK_MESSAGE(differ == 0, simd_level_name(level) << " " << element_type_name(type) << " count " << count);
      }
  }
}

TEST_CASE("the fused skinny kernel equals double sums for odd shapes on every path") {
  CapGuard guard;
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (SimdLevel level : levels_here()) {
    set_simd_cap(level);
    for (int m : {1, 3, 4, 9, 17})
      for (int d : {1, 7, 16, 33, 100})
        for (int p : {1, 2, 3, 4, 5, 11, 13}) {
          std::vector<float> x(std::size_t(m) * d), zt(std::size_t(p) * d), shift(p), y(std::size_t(m) * p);
          for (float& v : x) v = u(gen);
          for (float& v : zt) v = u(gen);
          for (float& v : shift) v = u(gen);
          std::vector<float> acc(std::size_t(p) * d, 0.5f);  // accumulates onto what is there
          fast::skinny_block(x.data(), m, d, zt.data(), p, shift.data(), y.data(), acc.data());
          double worst_y = 0, worst_acc = 0;
          std::vector<double> yd(std::size_t(m) * p);
          for (int r = 0; r < m; ++r)
            for (int j = 0; j < p; ++j) {
              double s = 0;
              for (int i = 0; i < d; ++i) s += double(x[r * d + i]) * zt[j * d + i];
              yd[r * p + j] = s - shift[j];
              worst_y = std::max(worst_y, std::abs(yd[r * p + j] - y[r * p + j]));
            }
          for (int j = 0; j < p; ++j)
            for (int i = 0; i < d; ++i) {
              double s = 0.5;
              for (int r = 0; r < m; ++r) s += double(y[r * p + j]) * x[r * d + i];
              worst_acc = std::max(worst_acc, std::abs(s - acc[j * d + i]));
            }
          CHECK_MESSAGE(worst_y < 1e-4 * (1 + d), simd_level_name(level) << " m " << m << " d " << d << " p " << p);
          // From BF16 rows: the same results bit for bit as from the widened floats, and the
          // widened rows written out.
          std::vector<uint16_t> xb(x.size());
          std::vector<float> xw(x.size()), widened(x.size(), -1.f), y1(y.size()), y2(y.size());
          std::vector<float> acc1(acc.size(), 0.25f), acc2(acc.size(), 0.25f);
          for (std::size_t i = 0; i < x.size(); ++i) xw[i] = bf16_bits_to_float(xb[i] = float_to_bf16_bits(x[i]));
          fast::skinny_block(xw.data(), m, d, zt.data(), p, shift.data(), y1.data(), acc1.data());
          fast::skinny_block_bf16(xb.data(), widened.data(), m, d, zt.data(), p, shift.data(), y2.data(), acc2.data());
          CHECK(y1 == y2);
          CHECK(acc1 == acc2);
          CHECK(widened == xw);
          // Moments of the shifted rows.
          std::vector<float> colsum(d, 1.0f);
          double squares = 2.0;
          fast::shifted_moments(x.data(), m, d, zt.data(), colsum.data(), &squares);
          double want_sq = 2.0, worst_sum = 0;
          for (int i = 0; i < d; ++i) {
            double cs = 1.0;
            for (int r = 0; r < m; ++r) {
              const double c = double(x[r * d + i]) - zt[i];
              cs += c;
              want_sq += c * c;
            }
            worst_sum = std::max(worst_sum, std::abs(cs - colsum[i]));
          }
          CHECK(worst_sum < 1e-5 * (1 + m));
          CHECK(squares == doctest::Approx(want_sq).epsilon(1e-5));
          // The same moments taken inside the fused kernel (from floats and from BF16 rows):
          // the same products and sums, and the moments those give.
          for (int from_bf16 = 0; from_bf16 < 2; ++from_bf16) {
            std::vector<float> cs2(d, 1.0f), y3(y.size()), acc3(acc.size(), 0.25f);
            double sq2 = 2.0;
            const fast::BlockMoments mo{zt.data(), cs2.data(), &sq2};
            if (from_bf16)
              fast::skinny_block_bf16(xb.data(), widened.data(), m, d, zt.data(), p, shift.data(), y3.data(), acc3.data(), &mo);
            else
              fast::skinny_block(xw.data(), m, d, zt.data(), p, shift.data(), y3.data(), acc3.data(), &mo);
            CHECK(y3 == y1);
            CHECK(acc3 == acc1);
            double want2 = 2.0, worst2 = 0;
            for (int i = 0; i < d; ++i) {
              double c2 = 1.0;
              for (int r = 0; r < m; ++r) {
                const double c = double(xw[r * d + i]) - zt[i];
                c2 += c;
                want2 += c * c;
              }
              worst2 = std::max(worst2, std::abs(c2 - cs2[i]));
            }
            CHECK_MESSAGE(worst2 < 1e-5 * (1 + m), simd_level_name(level) << " m " << m << " d " << d << " bf16 " << from_bf16);
            CHECK(sq2 == doctest::Approx(want2).epsilon(1e-5));
          }
          CHECK_MESSAGE(worst_acc < 1e-4 * (1 + m * d), simd_level_name(level) << " m " << m << " d " << d << " p " << p);
        }
  }
}

TEST_CASE("PCA of a BF16 / F16 view equals PCA of its widened float table and the SVD") {
  CapGuard guard;
  const int n = 9001, d = 96;  // more than 4096 rows: the first pass centres on a sample mean
  MatrixRM source = structured(n, d, 11);
  // Even rows shifted in a few columns: the sample (every second row here) misjudges the mean
  // by 1.5 there, which the first pass's correction must undo.
  for (int r = 0; r < n; r += 2) source.row(r).head(5).array() += 3.0f;
  for (ElementType type : {ElementType::BF16, ElementType::F16}) {
    const std::vector<uint16_t> bits = to_half(source, type);
    const MatrixRM wide = widened_by_scalar(bits, type, n, d);
    const TableView view{bits.data(), type, n, d};
    // Independent reference: singular values of the centred widened rows, in double.
    Eigen::MatrixXd x = wide.cast<double>();
    x.rowwise() -= x.colwise().mean();
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(x, Eigen::ComputeThinV);
    const double total = x.array().square().sum() / (n - 1);
    for (SimdLevel level : levels_here()) {
      set_simd_cap(level);
      for (PcaMethod method : {PcaMethod::Fast, PcaMethod::Iterative, PcaMethod::Reference}) {
        PcaTiming timing;
        const PcaBasis b = fit_pca_view(view, 4, method, &timing);
        if (method == PcaMethod::Iterative) CHECK(timing.path.rfind("iterative (", 0) == 0);  // it settled, no fallback
        CHECK(b.total_variance == doctest::Approx(total).epsilon(1e-6));
        for (int i = 0; i < 4; ++i) {
          const double want = svd.singularValues()(i) * svd.singularValues()(i) / (n - 1) / total;
          CHECK_MESSAGE(std::abs(b.explained_variance_ratio[i] - want) < 1e-6,
                        simd_level_name(level) << " " << element_type_name(type) << " method " << int(method));
          // the component is the SVD's axis (up to sign)
          const double c = std::abs(b.components.row(i).cast<double>().dot(svd.matrixV().col(i)));
          CHECK(c > 1 - 1e-5);
        }
        for (int j = 0; j < d; ++j) CHECK(b.mean(j) == doctest::Approx(wide.col(j).cast<double>().mean()).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("PCA progress and cancel") {
  const MatrixRM rows = structured(3000, 64, 3);
  const TableView view = TableView::of(TableMap(rows.data(), rows.rows(), rows.cols()));
  for (PcaMethod method : {PcaMethod::Fast, PcaMethod::Iterative}) {
    std::vector<double> seen;
    PcaControl control;
    control.progress = [&](double f) { seen.push_back(f); };
    const PcaBasis b = fit_pca_view(view, 3, method, nullptr, &control);
    const PcaBasis plain = fit_pca_view(view, 3, method);
    REQUIRE(!seen.empty());
    for (double f : seen) CHECK((f >= 0 && f <= 1));
    // the same answer up to the order of float sums (rows split per thread with a control)
    for (int i = 0; i < 3; ++i) CHECK(b.explained_variance_ratio[i] == doctest::Approx(plain.explained_variance_ratio[i]).epsilon(1e-6));
    std::atomic<bool> stop{true};
    PcaControl cancelled;
    cancelled.cancel = &stop;
    CHECK_THROWS_WITH(fit_pca_view(view, 3, method, nullptr, &cancelled), "PCA cancelled");
  }
}

TEST_CASE("neighbours, the index and analogies on a BF16 / F16 view equal those on the widened floats") {
  CapGuard guard;
  const int n = 3000, d = 72;
  const MatrixRM source = structured(n, d, 23, 10);
  for (ElementType type : {ElementType::BF16, ElementType::F16}) {
    const std::vector<uint16_t> bits = to_half(source, type);
    const MatrixRM wide = widened_by_scalar(bits, type, n, d);
    const TableMap wide_map(wide.data(), n, d);
    const TableView view{bits.data(), type, n, d};
    for (SimdLevel level : levels_here()) {
      set_simd_cap(level);
      const VocabularyIndex on_view(view), on_floats(wide_map);
      for (int id : {0, 17, 1234, n - 1}) {
        const RowVectorF q = wide.row(id);
        const std::span<const float> qs(q.data(), static_cast<std::size_t>(d));
        const int self[1] = {id};
        const std::vector<Neighbour> want = nearest_neighbours(wide_map, qs, 12, self);
        for (const std::vector<Neighbour>& got :
             {nearest_neighbours(view, qs, 12, self), on_view.nearest_to_token(id, 12), on_floats.nearest_to_token(id, 12)}) {
          REQUIRE(got.size() == want.size());
          for (std::size_t i = 0; i < got.size(); ++i) {
            CHECK(got[i].id == want[i].id);
            CHECK(got[i].cosine == want[i].cosine);  // bit for bit
          }
        }
        // and the float scores are the double-precision cosines
        for (const Neighbour& nb : want) {
          const double ref = wide.row(nb.id).cast<double>().dot(q.cast<double>()) /
                             (wide.row(nb.id).cast<double>().norm() * q.cast<double>().norm());
          CHECK(nb.cosine == doctest::Approx(ref).epsilon(1e-6));
        }
      }
      const RowVectorF a = analogy_vector(view, 5, 6, 7), b = on_floats.analogy_vector(5, 6, 7);
      CHECK((a - b).cwiseAbs().maxCoeff() == 0.0f);
      const auto ga = on_view.analogy(5, 6, 7, 5), gb = on_floats.analogy(5, 6, 7, 5);
      REQUIRE(ga.size() == gb.size());
      for (std::size_t i = 0; i < ga.size(); ++i) CHECK(ga[i].id == gb[i].id);
    }
  }
}

TEST_CASE("a checkpoint serves its BF16 / F16 / F32 token table in place, unconverted") {
  const fs::path dir = fs::temp_directory_path() / ("es_table_view_" + std::to_string(::getpid()));
  const int n = 40, d = 24;
  const MatrixRM source = structured(n, d, 2);
  for (SafetensorsDtype dt : {SafetensorsDtype::BF16, SafetensorsDtype::F16, SafetensorsDtype::F32}) {
    fs::create_directories(dir);
    std::vector<float> values(source.data(), source.data() + source.size());
    write_safetensors(dir / "model.safetensors",
                      {make_write_tensor("model.embed_tokens.weight", dt, {n, d}, values)});
    {
      std::ofstream(dir / "config.json") << R"({"model_type": "llama", "hidden_size": 24, "num_attention_heads": 2,
        "vocab_size": 40, "max_position_embeddings": 64, "rms_norm_eps": 1e-6})";
    }
    const std::unique_ptr<ModelSource> model = open_checkpoint(dir);
    const TableView view = model->token_table_view();
    CHECK(view.rows == n);
    CHECK(view.cols == d);
    const ElementType want = dt == SafetensorsDtype::BF16 ? ElementType::BF16
                             : dt == SafetensorsDtype::F16 ? ElementType::F16 : ElementType::F32;
    CHECK(view.type == want);
    MatrixRM rows(n, d);
    view.read_rows(0, n, rows.data());
    const TableMap floats = model->token_table();
    CHECK((rows - floats).cwiseAbs().maxCoeff() == 0.0f);
    fs::remove_all(dir);
  }
}

TEST_CASE("a checkpoint's view reads its rows from the file (pread), the same values as the mapping") {
  // Over 1 MB of rows in every type, so for_each_row_block reads several spans from the file.
  const fs::path dir = fs::temp_directory_path() / ("es_table_view_fd_" + std::to_string(::getpid()));
  const int n = 4001, d = 160;
  const MatrixRM source = structured(n, d, 3);
  for (SafetensorsDtype dt : {SafetensorsDtype::BF16, SafetensorsDtype::F16, SafetensorsDtype::F32}) {
    CAPTURE(static_cast<int>(dt));
    fs::create_directories(dir);
    std::vector<float> values(source.data(), source.data() + source.size());
    write_safetensors(dir / "model.safetensors",
                      {make_write_tensor("model.embed_tokens.weight", dt, {n, d}, values)});
    {
      std::ofstream(dir / "config.json") << R"({"model_type": "llama", "hidden_size": 160, "num_attention_heads": 2,
        "vocab_size": 4001, "max_position_embeddings": 64, "rms_norm_eps": 1e-6})";
    }
    const std::unique_ptr<ModelSource> model = open_checkpoint(dir);
    const TableView file_view = model->token_table_view();
    REQUIRE(file_view.fd >= 0);
    TableView mapped = file_view;
    mapped.fd = -1;
    // Rows one at a time, in a block, and the whole table.
    for (auto [first, count] : {std::pair<long long, long long>{0, 1}, {17, 5}, {n - 3, 3}, {0, n}}) {
      MatrixRM a(count, d), b(count, d);
      file_view.read_rows(first, count, a.data());
      mapped.read_rows(first, count, b.data());
      CHECK((a - b).cwiseAbs().maxCoeff() == 0.0f);
    }
    // Blocks of several sizes, on two threads: every row once, the same values.
    for (long long block : {1LL, 7LL, 64LL, 5000LL}) {
      CAPTURE(block);
      MatrixRM got = MatrixRM::Constant(n, d, -99.f), want(n, d);
      mapped.read_rows(0, n, want.data());
      for_each_row_block(file_view, block, 2, [&](long long first, long long count, const float* rows) {
        std::memcpy(got.row(first).data(), rows, sizeof(float) * static_cast<std::size_t>(count * d));
      });
      CHECK((got - want).cwiseAbs().maxCoeff() == 0.0f);
    }
    // The analyses give the same answers bit for bit from either source.
    const std::vector<float> q(source.row(11).data(), source.row(11).data() + d);
    const std::vector<Neighbour> nf = nearest_neighbours(file_view, q, 8), nm = nearest_neighbours(mapped, q, 8);
    REQUIRE(nf.size() == nm.size());
    for (std::size_t i = 0; i < nf.size(); ++i) {
      CHECK(nf[i].id == nm[i].id);
      CHECK(nf[i].cosine == nm[i].cosine);
    }
    const VocabularyIndex fi(file_view);
    const std::vector<Neighbour> ni = fi.nearest(q, 8);
    REQUIRE(ni.size() == nm.size());
    for (std::size_t i = 0; i < ni.size(); ++i) CHECK(ni[i].id == nm[i].id);
    const PcaBasis pf = fit_pca_view(file_view, 3, PcaMethod::Iterative), pm = fit_pca_view(mapped, 3, PcaMethod::Iterative);
    for (int k = 0; k < 3; ++k) CHECK(pf.explained_variance_ratio[k] == pm.explained_variance_ratio[k]);
    // A file that cannot give the bytes (here /dev/null: pread returns 0): the mapping answers.
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(null_fd >= 0);
    TableView broken = file_view;
    broken.fd = null_fd;
    MatrixRM a(5, d), b(5, d);
    broken.read_rows(100, 5, a.data());
    mapped.read_rows(100, 5, b.data());
    CHECK((a - b).cwiseAbs().maxCoeff() == 0.0f);
    ::close(null_fd);
    fs::remove_all(dir);
  }
}
